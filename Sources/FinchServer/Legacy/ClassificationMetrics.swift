import FinchAPI
import FinchInference
import FinchStore
import FinchTraining
import Foundation

/// The legacy `compute_classification_metrics`: at each epoch's checkpoint, the checkpoint model completes
/// every prompt of the validation file (greedy); the prediction is the class label the completion starts
/// with. Reported as `classification/accuracy` and, for binary tasks (`classification_positive_class`),
/// `classification/precision`, `…/recall` and `…/f{beta}`; for multiclass, `classification/weighted_f1_score`.
package enum ClassificationMetrics {
    /// Scores predictions (nil: no label recognised) against the expected labels.
    package static func score(expected: [String], predicted: [String?], positiveClass: String?, betas: [Double]) -> [String: Double] {
        precondition(expected.count == predicted.count)
        guard !expected.isEmpty else { return [:] }
        let correct = zip(expected, predicted).filter { $0 == $1 }.count
        var metrics = ["classification/accuracy": Double(correct) / Double(expected.count)]
        func f(_ beta: Double, _ precision: Double, _ recall: Double) -> Double {
            let b2 = beta * beta
            return precision + recall == 0 ? 0 : (1 + b2) * precision * recall / (b2 * precision + recall)
        }
        func precisionRecall(of label: String) -> (Double, Double) {
            let tp = zip(expected, predicted).filter { $0 == label && $1 == label }.count
            let predictedCount = predicted.filter { $0 == label }.count
            let actual = expected.filter { $0 == label }.count
            return (predictedCount == 0 ? 0 : Double(tp) / Double(predictedCount), actual == 0 ? 0 : Double(tp) / Double(actual))
        }
        if let positive = positiveClass {
            let (precision, recall) = precisionRecall(of: positive)
            metrics["classification/precision"] = precision
            metrics["classification/recall"] = recall
            for beta in betas.isEmpty ? [1.0] : betas {
                metrics["classification/f\(String(format: "%.1f", beta))"] = f(beta, precision, recall)
            }
        } else {
            var weighted = 0.0
            for label in Set(expected) {
                let (precision, recall) = precisionRecall(of: label)
                weighted += Double(expected.filter { $0 == label }.count) * f(1, precision, recall)
            }
            metrics["classification/weighted_f1_score"] = weighted / Double(expected.count)
        }
        return metrics
    }

    /// The label `completion` starts with (the longest, when one label is a prefix of another).
    package static func predictedLabel(_ completion: String, labels: [String]) -> String? {
        let text = completion.trimmingCharacters(in: .whitespacesAndNewlines)
        return labels.sorted { $0.count > $1.count }.first { !$0.isEmpty && text.hasPrefix($0) }
    }

    /// Evaluates the checkpoint model `modelName` on the job's validation file.
    static func evaluate(job: StoredJob, modelName: String, services: FinchServices) async throws -> [String: Double] {
        guard let settings = job.classification, let validationFile = job.validationFile else { return [:] }
        let url = URL(fileURLWithPath: services.blobs.path(forFile: validationFile))
        let examples = try TrainingData.load(contentsOf: url, role: .validation).compactMap { example -> (String, String)? in
            if case .completion(let prompt, let completion) = example { return (prompt, completion) }
            return nil
        }
        guard !examples.isEmpty else { return [:] }
        let hosted = try await services.modelHost.model(named: modelName)
        let tokenizer = hosted.model.tokenizer
        let labels = Array(Set(examples.map { $0.1.trimmingCharacters(in: .whitespacesAndNewlines) }))
        let maxLabelTokens = labels.map { tokenizer.encode($0, addSpecialTokens: false, parseSpecialTokens: false).count }.max() ?? 1
        var predicted: [String?] = []
        for (prompt, _) in examples {
            let ids = tokenizer.encode(prompt, addSpecialTokens: true, parseSpecialTokens: false)
            var text = ""
            for try await update in services.modelHost.generate(hosted, GenerationRequest(promptIds: ids, maxTokens: maxLabelTokens + 2,
                                                                                          sampling: .greedy)) {
                if case .delta(let delta, _) = update { text += delta }
            }
            predicted.append(predictedLabel(text, labels: labels))
        }
        let betas: [Double] = if case .array(let values)? = settings["classification_betas"] {
            values.compactMap { if case .number(let beta) = $0 { beta } else { nil } }
        } else { [] }
        return score(expected: examples.map { $0.1.trimmingCharacters(in: .whitespacesAndNewlines) }, predicted: predicted,
                     positiveClass: settings["classification_positive_class"]?.stringValue?.trimmingCharacters(in: .whitespaces),
                     betas: betas)
    }
}
