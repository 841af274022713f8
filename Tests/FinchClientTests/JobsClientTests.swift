import FinchAPI
import FinchClient
import Foundation
import Testing

@Suite("Fine-tuning jobs through the client against a live Finch")
struct JobsClientTests {
    @Test("a job created from a local file trains; following it sees every step, the checkpoint and the model")
    func createAndFollow() async throws {
        try await LiveFinch.run { client, _ in
            let training = try await client.fileID(pathOrID: LiveFinch.marvTraining)
            let uploaded = try #require(training.uploaded)
            #expect(training.id == uploaded.id)
            #expect(try await client.fileID(pathOrID: uploaded.id).uploaded == nil)  // an id is taken as it is

            let created = try await client.createJob(NewFineTuningJob(
                model: "tiny-llama", trainingFile: training.id, suffix: "cli", seed: 3,
                hyperparameters: Hyperparameters(batchSize: .value(16), nEpochs: .value(1)))).value
            #expect(created.id.hasPrefix("ftjob-") && created.status == .validatingFiles && created.seed == 3)

            var follower = JobFollower(client: client, jobID: created.id)
            var updates: [FollowUpdate] = []
            let done = try await follower.follow(interval: .milliseconds(200)) { updates.append($0) }
            #expect(done.status == .succeeded, "\(String(describing: done.error))")
            #expect(done.fineTunedModel == "ft:tiny-llama:org-a:cli:\(created.id.suffix(8))")

            let events = updates.flatMap(\.newEvents)
            #expect(Set(events.map(\.id)).count == events.count)  // each event reported once
            #expect(events.first?.message == "Created fine-tuning job: \(created.id)")
            #expect(events.last?.message == "The job has successfully completed")
            let steps = events.compactMap(StepReport.init)
            #expect(steps.map(\.step) == Array(1...10) && steps.allSatisfy { $0.totalSteps == 10 && ($0.tokens ?? 0) > 0 })
            #expect(follower.tracker.latest?.step == 10)
            let checkpoints = updates.flatMap(\.newCheckpoints)
            #expect(checkpoints.map(\.fineTunedModelCheckpoint) == ["ft:tiny-llama:org-a:cli:\(created.id.suffix(8)):ckpt-step-10"])
            let last = try #require(updates.last)
            #expect(last.progress.step == 10 && last.progress.epoch == 1 && last.progress.epochs == 1 && last.progress.status == .succeeded)

            let listed = try await client.listJobs(limit: 5)
            #expect(listed.value.data.map(\.id) == [created.id] && !listed.value.hasMore)
            #expect(try await client.job(created.id).value == done)
            let newest = try await client.jobEvents(created.id, limit: 1).value
            #expect(newest.data.map(\.message) == ["The job has successfully completed"] && newest.hasMore)
        }
    }

    @Test("cancel, pause and resume report the new status; an illegal change or an unknown id is the server's message")
    func controlAndErrors() async throws {
        try await LiveFinch.run { client, _ in
            let file = try await client.uploadFile(path: LiveFinch.marvTraining, purpose: "fine-tune").value
            let job = try await client.createJob(NewFineTuningJob(model: "tiny-llama", trainingFile: file.id)).value
            let early = await #expect(throws: ClientError.self) { try await client.resumeJob(job.id) }  // not paused
            #expect(early?.apiError?.code == "invalid_job_state")
            // Pausing needs the worker to have validated the file; the job then trains 225 steps, which it cannot
            // finish before the next request.
            var status = job.status
            for _ in 0..<600 where status == .validatingFiles {
                try await Task.sleep(for: .milliseconds(50))
                status = try await client.job(job.id).value.status
            }
            let paused = try await client.pauseJob(job.id)
            #expect(paused.status == .paused)
            #expect(try await client.resumeJob(job.id).status == .queued)
            let cancelled = try await client.cancelJob(job.id)
            #expect(cancelled.status == .cancelled && cancelled.finishedAt != nil)

            let again = await #expect(throws: ClientError.self) { try await client.cancelJob(job.id) }
            #expect(again?.status == 400 && again?.apiError?.code == "invalid_job_state")
            #expect(again?.description == "Cannot cancel job \(job.id): its status is 'cancelled'. (invalid_job_state, HTTP 400)")

            let unknown = await #expect(throws: ClientError.self) { try await client.job("ftjob-nope") }
            #expect(unknown?.status == 404 && unknown?.apiError?.message.contains("ftjob-nope") == true)
            let badFile = await #expect(throws: ClientError.self) {
                try await client.createJob(NewFineTuningJob(model: "tiny-llama", trainingFile: "file-nope"))
            }
            #expect(badFile?.apiError?.message == "invalid training_file: file-nope. No such File object.")
            let badModel = await #expect(throws: ClientError.self) {
                try await client.createJob(NewFineTuningJob(model: "no-such-model", trainingFile: file.id))
            }
            #expect(badModel?.apiError?.code == "model_not_available")
        }
    }

    @Test("following a job of a server that is not there fails at the first poll, without retrying",
          .timeLimit(.minutes(1)))
    func followWithoutServer() async throws {
        let client = FinchClient(settings: ClientSettings(baseURL: URL(string: "http://127.0.0.1:9/v1")!, apiKey: nil))
        var follower = JobFollower(client: client, jobID: "ftjob-x")
        var updates = 0
        let error = await #expect(throws: ClientError.self) {
            try await follower.follow(interval: .seconds(3600)) { _ in updates += 1 }  // a retry would wait an hour
        }
        #expect(error?.isTransient == true && updates == 0)
    }

    @Test("an id with a slash or a question mark stays one path segment")
    func encodedIDs() async throws {
        try await LiveFinch.run { client, _ in
            let error = await #expect(throws: ClientError.self) { try await client.job("../files?limit=1") }
            // Finch names the job id as it arrived, still percent-encoded: the job route answered, not /files.
            #expect(error?.status == 404 && error?.apiError?.message.hasPrefix("No such FineTuningJob object: ..") == true)
        }
    }
}
