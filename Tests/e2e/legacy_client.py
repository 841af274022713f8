"""Seed 003's calls with the legacy SDK (openai==0.28.1), run in its own venv by test_legacy_e2e.py.
Usage: legacy_client.py BASE_URL API_KEY TRAINING_JSONL; prints one JSON object with what it saw."""

import json
import sys
import time

import openai

openai.api_base, openai.api_key, path = sys.argv[1], sys.argv[2], sys.argv[3]
seen = {"version": openai.version.VERSION}

uploaded = openai.File.create(purpose="fine-tune", file=open(path, "rb"))
seen["file"] = {"id": uploaded.id, "object": uploaded.object, "purpose": uploaded.purpose, "bytes": uploaded.bytes}
seen["file_list"] = [f.id for f in openai.File.list().data]
seen["file_retrieved"] = openai.File.retrieve(uploaded.id).id
seen["download_matches"] = openai.File.download(uploaded.id) == open(path, "rb").read()

fine_tune = openai.FineTune.create(training_file=uploaded.id, model="curie", n_epochs=1, batch_size=16, suffix="legacy")
seen["created"] = {"id": fine_tune.id, "object": fine_tune.object, "status": fine_tune.status,
                   "events": [e.message for e in fine_tune.events],
                   "training_files": [f.id for f in fine_tune.training_files], "hyperparams": fine_tune.hyperparams}
seen["listed"] = [f.id for f in openai.FineTune.list().data]

streamed = [event.message for event in openai.FineTune.stream_events(fine_tune.id)]  # ends with [DONE]
seen["streamed"] = streamed
done = openai.FineTune.retrieve(fine_tune.id)
seen["done"] = {"status": done.status, "fine_tuned_model": done.fine_tuned_model,
                "result_files": [{"filename": f.filename, "purpose": f.purpose, "id": f.id} for f in done.result_files]}
seen["results_csv"] = openai.File.download(done.result_files[0].id).decode().splitlines()[:3]
seen["events_listed"] = [e.message for e in openai.FineTune.list_events(fine_tune.id).data]

other = openai.FineTune.create(training_file=uploaded.id, model="curie")
seen["cancelled"] = openai.FineTune.cancel(other.id).status
try:
    openai.FineTune.cancel(other.id)
    seen["second_cancel"] = "accepted"
except openai.error.InvalidRequestError as error:
    seen["second_cancel"] = error.http_status

seen["model_deleted"] = openai.Model.delete(done.fine_tuned_model).deleted
print(json.dumps(seen))
