import FinchAPI
import FinchClient
import Testing

/// Metrics events → step reports → the progress line, and the two ways `jobs follow` draws them.
@Suite("Job progress is read from metrics events and drawn as a bar or as plain lines")
struct FollowProgressTests {
    static func metrics(step: Int, of total: Int, loss: Double, tokens: Int, at time: Int64) -> FineTuningJobEvent {
        FineTuningJobEvent(
            id: "ftevent-\(step)", createdAt: time, level: .info,
            message: "Step \(step)/\(total): training loss=\(loss)", type: .metrics,
            data: .object(["step": .number(Double(step)), "total_steps": .number(Double(total)),
                           "train_loss": .number(loss), "tokens": .number(Double(tokens))]))
    }

    static func job(status: JobStatus, epochs: Int = 2, estimatedFinish: Int64? = nil) -> FineTuningJob {
        var job = FineTuningJob(id: "ftjob-abc", createdAt: 1_000, model: "tiny-llama", organizationID: "org-a", status: status,
                                trainingFile: "file-x", validationFile: nil,
                                hyperparameters: Hyperparameters(batchSize: .value(16), nEpochs: .value(epochs)), seed: 1)
        job.estimatedFinish = estimatedFinish
        return job
    }

    @Test("a Finch metrics event is read from its data")
    func fromData() throws {
        let report = try #require(StepReport(Self.metrics(step: 3, of: 20, loss: 2.5, tokens: 700, at: 50)))
        #expect(report == StepReport(step: 3, totalSteps: 20, trainLoss: 2.5, tokens: 700, time: 50))
    }

    @Test("another server's event with only the message is read from the text; other events are not steps")
    func fromMessage() throws {
        let event = FineTuningJobEvent(id: "e", createdAt: 9, level: .info, message: "Step 12/300: training loss=0.0831",
                                       type: .metrics, data: nil)
        let report = try #require(StepReport(event))
        #expect(report.step == 12 && report.totalSteps == 300 && report.trainLoss == 0.0831)
        let plain = FineTuningJobEvent(id: "f", createdAt: 9, level: .info, message: "Fine-tuning job started", type: .message, data: nil)
        #expect(StepReport(plain) == nil)
    }

    @Test("rates, epoch and ETA: 10 steps of 500 tokens in 5 seconds of a 20-step, 2-epoch job; before a rate, estimated_finish")
    func snapshot() throws {
        var tracker = ProgressTracker()
        for step in 1...11 {
            tracker.record(try #require(StepReport(Self.metrics(step: step, of: 20, loss: 3.0 - Double(step) * 0.1, tokens: 500,
                                                                at: 100 + Int64(step - 1) / 2))))
        }
        let rates = try #require(tracker.rates)
        #expect(rates.steps == 2 && rates.tokens == 1000)
        let running = tracker.snapshot(job: Self.job(status: .running), now: 105)
        #expect(running.step == 11 && running.totalSteps == 20 && running.epoch == 2 && running.epochs == 2)
        #expect(running.etaSeconds == 4.5 && running.tokensPerSecond == 1000)
        #expect(abs((running.trainLoss ?? 0) - 1.9) < 1e-12)

        #expect(tracker.snapshot(job: Self.job(status: .running, estimatedFinish: 130), now: 105).etaSeconds == 4.5)
        #expect(tracker.snapshot(job: Self.job(status: .succeeded), now: 105).etaSeconds == nil)

        var early = ProgressTracker()  // one step: no rate yet, so the server's estimate
        early.record(try #require(StepReport(Self.metrics(step: 1, of: 20, loss: 3, tokens: 500, at: 100))))
        #expect(early.rates == nil)
        #expect(early.snapshot(job: Self.job(status: .running, estimatedFinish: 130), now: 105).etaSeconds == 25)
    }

    @Test("the progress line has the bar, step/total, epoch, loss, tokens/s, ETA and status")
    func progressLine() {
        let line = FollowDisplay.progressLine(ProgressSnapshot(
            status: .running, step: 6, totalSteps: 24, epoch: 1, epochs: 3, trainLoss: 1.23456, tokensPerSecond: 812.4,
            etaSeconds: 95), barWidth: 8)
        #expect(line == "[██░░░░░░]  6/24  epoch 1/3  loss 1.2346  812 tok/s  ETA 1m35s  running")
        #expect(FollowDisplay.progressLine(ProgressSnapshot(status: .queued), barWidth: 4) == "[░░░░]  queued")
    }

    @Test("on a terminal, events other than metrics go above one line redrawn with \\r and ESC[2K, cut to the width")
    func terminal() {
        var output = ""
        var display = FollowDisplay(mode: .terminal(width: 40)) { output += $0 }
        let event = FineTuningJobEvent(id: "e1", createdAt: 0, level: .info, message: "Fine-tuning job started", type: .message, data: nil)
        display.show(FollowUpdate(job: Self.job(status: .running), newEvents: [event], newCheckpoints: [],
                                  progress: ProgressSnapshot(status: .running, step: 1, totalSteps: 2, trainLoss: 3)))
        display.show(FollowUpdate(job: Self.job(status: .running), newEvents: [Self.metrics(step: 2, of: 2, loss: 2, tokens: 9, at: 1)],
                                  newCheckpoints: [], progress: ProgressSnapshot(status: .running, step: 2, totalSteps: 2, trainLoss: 2)))
        var done = Self.job(status: .succeeded)
        done.fineTunedModel = "ft:tiny-llama:org-a::abc"
        display.finish(done)
        let lines = output.components(separatedBy: FollowDisplay.clearLine)
        #expect(lines.count == 3)
        #expect(lines[1].hasSuffix("Fine-tuning job started\n[████████████░░░░░░░░░░░░]  1/2  loss …"))
        #expect(lines[2].hasPrefix("[████████████████████████]  2/2") && !output.contains("Step 2/2"))
        #expect(lines[2].split(separator: "\n")[0].count == 39)
        #expect(output.hasSuffix("Fine-tuned model: ft:tiny-llama:org-a::abc\n"))
    }

    @Test("plain mode writes one line per event and no escape codes")
    func plain() {
        var output = ""
        var display = FollowDisplay(mode: .plain) { output += $0 }
        let events = [Self.metrics(step: 1, of: 2, loss: 3, tokens: 10, at: 0), Self.metrics(step: 2, of: 2, loss: 2, tokens: 10, at: 1)]
        display.show(FollowUpdate(job: Self.job(status: .running), newEvents: events, newCheckpoints: [],
                                  progress: ProgressSnapshot(status: .running, step: 2, totalSteps: 2)))
        var failed = Self.job(status: .failed)
        failed.error = JobError(code: "invalid_training_file", message: "Line 3 is not JSON.", param: "training_file")
        display.finish(failed)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 3 && !output.contains("\u{1B}") && !output.contains("\r"))
        #expect(lines[0].hasSuffix("Step 1/2: training loss=3.0") && lines[1].hasSuffix("Step 2/2: training loss=2.0"))
        #expect(lines[2] == "Job ftjob-abc failed: Line 3 is not JSON. (invalid_training_file)")
    }
}
