import Testing

@Suite("FinchTrainingTests placeholder") struct FinchTrainingTestsPlaceholder {}
