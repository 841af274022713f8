import Testing

@Suite("FinchStoreTests placeholder") struct FinchStoreTestsPlaceholder {}
