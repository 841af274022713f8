import Foundation

/// Where a job keeps its files: `DATA/jobs/<job-id>/` (checkpoints, resume state, the final model).
public struct JobFiles: Sendable {
    public let jobsDirectory: String

    public init(dataDirectory: String) {
        jobsDirectory = dataDirectory + "/jobs"
    }

    public func directory(of jobID: String) -> String { jobsDirectory + "/" + jobID }

    /// The trainer's output: checkpoints, resume state, results.csv.
    public func runDirectory(of jobID: String) -> String { directory(of: jobID) + "/run" }

    /// The trained adapter or weights the fine-tuned model is served from.
    public func modelDirectory(of jobID: String) -> String { directory(of: jobID) + "/model" }

    /// Frees a deleted fine-tuned model's weights (checkpoints are models of their own and stay).
    public func removeFineTunedModel(of jobID: String) {
        try? FileManager.default.removeItem(atPath: modelDirectory(of: jobID))
    }
}
