import Testing

@Suite("FinchAPITests placeholder") struct FinchAPITestsPlaceholder {}
