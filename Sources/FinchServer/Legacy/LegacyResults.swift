import FinchAPI
import FinchStore
import Foundation

/// The legacy `compiled_results.csv`: `step,elapsed_tokens,elapsed_examples,training_loss,
/// training_sequence_accuracy,training_token_accuracy,validation_loss,validation_sequence_accuracy,
/// validation_token_accuracy`, rebuilt from the job's metrics events (the last report of a step wins,
/// so steps re-run after a resume count once). Sequence accuracies are not measured: left empty.
/// With `compute_classification_metrics`, the `classification/…` columns follow, filled at epoch ends.
enum LegacyResults {
    static let header = "step,elapsed_tokens,elapsed_examples,training_loss,training_sequence_accuracy,training_token_accuracy,validation_loss,validation_sequence_accuracy,validation_token_accuracy"

    static func csv(for job: StoredJob, store: any MetadataStore) async throws -> String {
        let events = try await store.events(jobID: job.id, after: nil, limit: 1_000_000).items.reversed()
        var byStep: [Int: [String: JSONValue]] = [:]
        for event in events where event.type == .metrics {
            guard case .object(let data)? = event.data, case .number(let step)? = data["step"] else { continue }
            byStep[Int(step), default: [:]].merge(data) { _, newer in newer }
        }
        let classificationColumns = Set(byStep.values.flatMap(\.keys)).filter { $0.hasPrefix("classification/") }.sorted()
        let batch = job.hyperparameters.batchSize?.value ?? 1
        var rows = [([header] + classificationColumns).joined(separator: ",")]
        var elapsedTokens = 0.0
        for step in byStep.keys.sorted() {
            let data = byStep[step]!
            func number(_ key: String) -> Double? { if case .number(let value)? = data[key] { value } else { nil } }
            func text(_ value: Double?) -> String { value.map { String(format: "%.6f", $0) } ?? "" }
            elapsedTokens += number("tokens") ?? 0
            let validLoss: Double? = number("valid_loss") ?? number("full_valid_loss")
            let validAccuracy: Double? = number("valid_mean_token_accuracy") ?? number("full_valid_mean_token_accuracy")
            var cells: [String] = [String(step), String(Int(elapsedTokens)), String(step * batch)]
            cells += [text(number("train_loss")), "", text(number("train_mean_token_accuracy"))]
            cells += [text(validLoss), "", text(validAccuracy)]
            cells += classificationColumns.map { text(number($0)) }
            rows.append(cells.joined(separator: ","))
        }
        return rows.joined(separator: "\n") + "\n"
    }
}
