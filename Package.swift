// swift-tools-version:6.0
import PackageDescription

/// Finch: a self-hosted fine-tuning server that speaks the OpenAI API.
/// Layout and rules: shared/DESIGN.md §2. Engine targets never import NIO, Hummingbird or GRDB;
/// server targets never call BLAS.

/// Engine kernels are compiled for the CPU that builds them (AVX2/FMA or AVX-512 where present, instead of
/// x86-64's SSE2 baseline): `make` builds on the machine that runs Finch, so the binary never moves.
let engineSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"])]

let package = Package(
    name: "Finch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "finch", targets: ["finch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // MARK: Engine
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "FinchTensor", dependencies: ["CBLAS"], swiftSettings: engineSettings),
        .target(name: "FinchTokenizer"),
        .target(name: "FinchModels", dependencies: ["FinchTensor", "FinchTokenizer"], swiftSettings: engineSettings),
        .target(name: "FinchTraining", dependencies: ["FinchModels", "FinchTensor", "FinchTokenizer"],
                swiftSettings: engineSettings),
        .target(name: "FinchInference", dependencies: ["FinchModels", "FinchTensor", "FinchTokenizer"],
                swiftSettings: engineSettings),

        // MARK: Server
        .target(name: "FinchAPI"),
        .target(
            name: "FinchStore",
            dependencies: [
                "FinchAPI",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "FinchServer",
            dependencies: [
                "FinchAPI",
                "FinchStore",
                "FinchInference", "FinchModels", "FinchTokenizer", "FinchTraining",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // MARK: Client (URLSession; no NIO, so it also talks to other OpenAI-compatible servers over https)
        .target(name: "FinchClient", dependencies: ["FinchAPI"]),

        .executableTarget(
            name: "finch",
            dependencies: [
                "FinchServer",
                "FinchClient",
                "FinchModels",
                "FinchInference",
                "FinchTraining",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Tests
        .testTarget(name: "FinchTensorTests", dependencies: ["FinchTensor"]),
        .testTarget(name: "FinchTokenizerTests", dependencies: ["FinchTokenizer", "FinchModels"], exclude: ["Fixtures"]),
        .testTarget(name: "FinchModelsTests", dependencies: ["FinchModels", "FinchTensor", "FinchTokenizer"], exclude: ["Fixtures"]),
        .testTarget(name: "FinchTrainingTests", dependencies: ["FinchTraining", "FinchModels", "FinchTensor"], exclude: ["Fixtures"]),
        .testTarget(name: "FinchInferenceTests", dependencies: ["FinchInference", "FinchModels"], exclude: ["Fixtures"]),
        .testTarget(name: "FinchAPITests", dependencies: ["FinchAPI"]),
        .testTarget(name: "FinchStoreTests", dependencies: ["FinchStore", "FinchAPI"]),
        .testTarget(
            name: "FinchServerTests",
            dependencies: [
                "FinchServer",
                "FinchStore",
                "FinchAPI",
                "FinchInference", "FinchModels", "FinchTokenizer", "FinchTraining",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "FinchClientTests",
            dependencies: [
                "FinchClient",
                "FinchServer",
                "FinchAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ]
)
