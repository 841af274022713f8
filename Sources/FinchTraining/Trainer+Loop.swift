import FinchTensor
import Foundation

extension TrainingSession {
    func run(resume: Bool, observe: (TrainingEvent) -> Void, shouldStop: () -> Bool) throws -> TrainingResult {
        let fm = FileManager.default
        do { try fm.createDirectory(at: output, withIntermediateDirectories: true) } catch {
            throw TrainingError.io(path: output.path, reason: "\(error)")
        }
        var state = ResumeState(fingerprint: fingerprint, step: 0, adamT: 0, trainedTokens: 0, csvRows: [],
                                checkpoints: [], lastMetrics: nil, completed: false)
        if resume && fm.fileExists(atPath: resumeURL.path) {
            let saved = try ResumeState.read(from: resumeURL, model: model, optimizer: optimizer)
            guard saved.fingerprint == state.fingerprint else {
                throw TrainingError.resumeMismatch("the saved state belongs to different settings or data")
            }
            state = saved
        }
        plan.resumedFromStep = state.step
        observe(.started(plan))
        let clock = ContinuousClock()
        let startTime = clock.now
        var lastSave = clock.now
        let firstStep = state.step
        func persist() throws {
            try ResumeState.write(state, model: model, optimizer: optimizer, to: resumeURL)
            lastSave = clock.now
            observe(.resumeStateSaved(step: state.step, path: resumeURL.path))
        }
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

        while state.step < plan.totalSteps {
            if shouldStop() {
                try persist()
                try writeCSV(state.csvRows)
                return result(state, completed: false)
            }
            let stepStart = clock.now
            let step = state.step
            let epoch = step / plan.stepsPerEpoch
            let b = step % plan.stepsPerEpoch
            let ord = order(epoch: epoch)
            let batch = ord[(b * plan.batchSize)..<min((b + 1) * plan.batchSize, ord.count)].map { train[$0] }
            let (stats, norm) = try model.accumulateGradients(microBatches(batch), seed: config.seed, step: step,
                                                              maxGradNorm: config.maxGradNorm)
            guard stats.meanLoss.isFinite && norm.isFinite else {
                throw TrainingError.model("training diverged at step \(step + 1): loss \(stats.meanLoss), gradient norm \(norm)")
            }
            let lr = schedule.learningRate(completed: step)
            optimizer.step(model.parameters, lr: lr)
            state.step += 1
            state.adamT = optimizer.t
            state.trainedTokens += stats.tokens
            let trainSeconds = seconds(clock.now - stepStart)

            var metrics = StepMetrics(
                step: state.step, totalSteps: plan.totalSteps, epoch: epoch + 1, trainLoss: stats.meanLoss,
                trainAccuracy: stats.meanAccuracy, learningRate: lr, gradNorm: norm, tokens: stats.tokens,
                tokensPerSecond: 0, elapsed: 0, eta: 0)
            if !valid.isEmpty && config.validationInterval > 0 && state.step % config.validationInterval == 0 {
                let k = state.step / config.validationInterval
                let n = min(plan.batchSize, valid.count)
                let vb = (0..<n).map { valid[(k * n + $0) % valid.count] }
                let vs = try evaluate(vb)
                metrics.validLoss = vs.meanLoss
                metrics.validAccuracy = vs.meanAccuracy
            }
            let epochEnd = state.step % plan.stepsPerEpoch == 0
            if epochEnd && !valid.isEmpty {
                let vs = try evaluate(valid)
                metrics.fullValidLoss = vs.meanLoss
                metrics.fullValidAccuracy = vs.meanAccuracy
            }
            let now = clock.now
            metrics.tokensPerSecond = Double(stats.tokens) / max(1e-9, trainSeconds)  // training work only, not validation
            metrics.elapsed = seconds(now - startTime)
            let done = state.step - firstStep
            metrics.eta = metrics.elapsed / Double(done) * Double(plan.totalSteps - state.step)
            state.csvRows.append(metrics.csvRow)
            state.lastMetrics = metrics
            observe(.step(metrics))
            var checkpoint: CheckpointInfo?
            if epochEnd {
                let dir = output.appendingPathComponent("checkpoints/step-\(state.step)")
                try model.saveCheckpoint(to: dir, baseModel: config.modelDirectory)
                try copyTokenizerFiles(to: dir)
                let info = CheckpointInfo(step: state.step, epoch: epoch + 1, directory: dir.path, metrics: metrics)
                state.checkpoints.append(info)
                pruneCheckpoints(&state)
                checkpoint = info
            }
            if epochEnd || seconds(clock.now - lastSave) >= config.resumeStateInterval {
                if state.step == plan.totalSteps { state.completed = true }
                try persist()
            }
            // Announced only once the resume state of its step is on disk: a process killed as soon as a
            // checkpoint is visible (the API lists it) resumes from that step, not from the start.
            if let checkpoint { observe(.checkpoint(checkpoint)) }
        }
        // final artefacts
        let finalDir = output.appendingPathComponent(isLoRA ? "adapter" : "model")
        try model.saveCheckpoint(to: finalDir, baseModel: config.modelDirectory)
        try copyTokenizerFiles(to: finalDir)
        try writeCSV(state.csvRows)
        if !state.completed {
            state.completed = true
            try persist()
        }
        var r = result(state, completed: true)
        r.outputModelDirectory = finalDir.path
        observe(.finished(r))
        return r
    }

    var isLoRA: Bool { if case .lora = config.method { true } else { false } }

    func result(_ s: ResumeState, completed: Bool) -> TrainingResult {
        TrainingResult(completed: completed, steps: s.step, totalSteps: plan.totalSteps, trainedTokens: s.trainedTokens,
                       outputModelDirectory: nil, resultsCSV: csvURL.path, checkpoints: s.checkpoints,
                       lastMetrics: s.lastMetrics, resumeState: resumeURL.path)
    }

    func writeCSV(_ rows: [String]) throws {
        let text = (["step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"] + rows).joined(separator: "\n") + "\n"
        try AtomicFile.write(Data(text.utf8), to: csvURL)
    }

    /// A full-model checkpoint is a loadable HF directory: it also needs the tokenizer files.
    func copyTokenizerFiles(to dir: URL) throws {
        guard !isLoRA else { return }
        let src = URL(fileURLWithPath: config.modelDirectory)
        for f in ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json", "special_tokens_map.json"] {
            let from = src.appendingPathComponent(f), to = dir.appendingPathComponent(f)
            guard FileManager.default.fileExists(atPath: from.path) else { continue }
            try? FileManager.default.removeItem(at: to)
            try FileManager.default.copyItem(at: from, to: to)
        }
    }

    func pruneCheckpoints(_ state: inout ResumeState) {
        while config.keepCheckpoints > 0 && state.checkpoints.count > config.keepCheckpoints {
            let old = state.checkpoints.removeFirst()
            try? FileManager.default.removeItem(atPath: old.directory)
        }
    }
}
