import FinchServer
import Testing

@Suite("Legacy classification metrics")
struct ClassificationMetricsTests {
    @Test("binary: accuracy, precision, recall and F-beta of the positive class")
    func binary() {
        // expected:  p p p n n n ; predicted: p p n p n (none)
        let metrics = ClassificationMetrics.score(
            expected: ["p", "p", "p", "n", "n", "n"], predicted: ["p", "p", "n", "p", "n", nil], positiveClass: "p", betas: [1, 2])
        #expect(metrics["classification/accuracy"] == 3.0 / 6)
        #expect(metrics["classification/precision"] == 2.0 / 3)
        #expect(metrics["classification/recall"] == 2.0 / 3)
        #expect(abs(metrics["classification/f1.0"]! - 2.0 / 3) < 1e-12)
        #expect(abs(metrics["classification/f2.0"]! - 2.0 / 3) < 1e-12)  // precision == recall: every F-beta agrees
    }

    @Test("multiclass: accuracy and support-weighted F1")
    func multiclass() {
        let metrics = ClassificationMetrics.score(expected: ["a", "a", "b", "c"], predicted: ["a", "b", "b", "c"],
                                                  positiveClass: nil, betas: [])
        #expect(metrics["classification/accuracy"] == 0.75)
        // F1(a) = 2/3 (p=1, r=1/2), F1(b) = 2/3 (p=1/2, r=1), F1(c) = 1; weighted by support 2,1,1.
        #expect(abs(metrics["classification/weighted_f1_score"]! - (2 * 2.0 / 3 + 2.0 / 3 + 1) / 4) < 1e-12)
        #expect(metrics["classification/precision"] == nil)
    }

    @Test("the predicted label is the longest label the completion starts with")
    func labels() {
        #expect(ClassificationMetrics.predictedLabel(" positive review", labels: ["pos", "positive", "negative"]) == "positive")
        #expect(ClassificationMetrics.predictedLabel("neutral", labels: ["positive", "negative"]) == nil)
    }
}
