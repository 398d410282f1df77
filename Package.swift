// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "lineage",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lineage", targets: ["lineage"]),
        .library(name: "Lineage", targets: ["Lineage"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C system libraries, each imported by exactly one wrapper target.
        .systemLibrary(name: "CLibGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // Compressed tables (.bz2, .xz); zlib (.gz, .zip) is CZlib. Imported only by LineageValidators' TableDecompression.swift.
        .systemLibrary(name: "CBzip2", providers: [.apt(["libbz2-dev"])]),
        .systemLibrary(name: "CLzma", pkgConfig: "liblzma", providers: [.apt(["liblzma-dev"])]),

        .target(name: "LineageCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "LineageStore", dependencies: [
            "LineageCore", "CZlib", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "LineageSigning", dependencies: [
            "LineageCore", .product(name: "Crypto", package: "swift-crypto"),
            // RSA verification and AES-CTR (passphrase-protected keys): swift-crypto's own extras module.
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        .target(name: "LineageGit", dependencies: ["LineageCore", "CLibGit2", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "LineageGraph", dependencies: [
            "LineageCore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        .target(name: "LineageValidators", dependencies: ["LineageCore", "CZlib", "CBzip2", "CLzma", .product(name: "Crypto", package: "swift-crypto")]),
        // Remotes: the object level (S3 over libcurl, directories, memory) and the pack layout on top.
        .target(name: "LineageRemote", dependencies: [
            "LineageCore", "LineageStore", "CCurl", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Lineage", dependencies: [
            "LineageCore", "LineageStore", "LineageGit", "LineageGraph", "LineageSigning", "LineageValidators", "LineageRemote",
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "LineageCommands", dependencies: [
            "Lineage", "LineageCore", "LineageGraph", "LineageValidators", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "lineage", dependencies: ["LineageCommands"]),
        // Benchmark tooling (Benchmarks/): builds synthetic histories through the public library API.
        .executableTarget(name: "lineage-bench-history", dependencies: ["Lineage"], path: "Benchmarks/HistoryGenerator"),
        .executableTarget(name: "lineage-bench-graph", dependencies: ["Lineage", "LineageCore", "LineageGraph"], path: "Benchmarks/GraphGenerator"),

        .executableTarget(name: "lineage-bench-validators", dependencies: ["LineageValidators", "LineageCore"], path: "Benchmarks/ValidatorBench"),
        .executableTarget(name: "lineage-bench-remote", dependencies: ["LineageRemote", "LineageStore", "LineageCore"], path: "Benchmarks/RemoteBench"),

        .testTarget(name: "LineageCoreTests", dependencies: ["LineageCore"]),
        .testTarget(name: "LineageStoreTests", dependencies: ["LineageStore", "LineageCore"], exclude: ["Fixtures"]),
        .testTarget(name: "LineageSigningTests", dependencies: ["LineageSigning", "LineageTestSupport"]),
        .testTarget(name: "LineageGitTests", dependencies: ["LineageGit", "LineageCore", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "LineageGraphTests", dependencies: ["LineageGraph", "LineageCore"]),
        .testTarget(name: "LineageValidatorsTests", dependencies: ["LineageValidators", "LineageCore", "LineageTestSupport"]),
        .testTarget(name: "LineageTests", dependencies: ["Lineage", "LineageCore", "LineageStore", "LineageGit", "LineageSigning", "LineageTestSupport"]),
        // Test fixtures shared by test targets: moto_server, free ports, a fault-injecting proxy.
        .target(name: "LineageTestSupport", path: "Tests/LineageTestSupport"),
        .testTarget(name: "LineageRemoteTests", dependencies: [
            "LineageRemote", "LineageStore", "LineageCore", "LineageTestSupport", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "LineageCLITests", dependencies: ["LineageCommands", "Lineage", "LineageCore", "LineageSigning", "LineageRemote", "LineageTestSupport",
                                                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    ]
)
