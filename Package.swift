// swift-tools-version: 6.0
import Foundation
import PackageDescription

let package = Package(
  name: "kubereach",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "kubereach", targets: ["kubereach"]),
    .library(name: "KubereachCLI", targets: ["KubereachCLI"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CYAML", path: "Sources/CYAML", pkgConfig: "yaml-0.1",
      providers: [.apt(["libyaml-dev"])]),
    .systemLibrary(
      name: "CGraphviz", path: "Sources/CGraphviz", pkgConfig: "libgvc",
      providers: [.apt(["libgraphviz-dev"])]),
    .target(name: "KubeModel"),
    .target(name: "Manifests", dependencies: ["KubeModel", "CYAML"]),
    .target(name: "Reachability", dependencies: ["KubeModel"]),
    .target(name: "Synthesis", dependencies: ["KubeModel"]),
    .target(name: "Analysis", dependencies: ["KubeModel", "Reachability"]),
    .target(name: "Checks", dependencies: ["KubeModel", "Manifests", "Reachability", "Analysis"]),
    .target(name: "PolicyGen", dependencies: ["KubeModel", "Manifests", "Reachability", "Analysis"]),
    .target(name: "Formats", dependencies: ["KubeModel", "Reachability", "Analysis", "Checks", "PolicyGen", "CGraphviz"]),
    .target(
      name: "KubereachCLI",
      dependencies: [
        "KubeModel", "Manifests", "Reachability", "Analysis", "Checks", "Formats", "Synthesis", "PolicyGen",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(name: "kubereach", dependencies: ["KubereachCLI"]),
    .executableTarget(
      name: "kubereach-bench", dependencies: ["KubeModel", "Manifests", "Reachability", "Synthesis", "CYAML"],
      path: "Benchmarks/kubereach-bench"),
    .target(name: "TestSupport", dependencies: ["KubeModel", "Reachability"], path: "Tests/TestSupport"),
    .testTarget(name: "KubeModelTests", dependencies: ["KubeModel"]),
    .testTarget(
      name: "ManifestsTests", dependencies: ["TestSupport", "Manifests", "KubeModel"], exclude: ["FuzzRegressions"]),
    .testTarget(name: "ReachabilityTests", dependencies: ["TestSupport", "Reachability", "Synthesis", "KubeModel", "Manifests"]),
    .testTarget(name: "AnalysisTests", dependencies: ["TestSupport", "Analysis", "Formats", "Reachability", "KubeModel", "Manifests", "Synthesis"]),
    .testTarget(name: "FormatsTests", dependencies: ["Formats", "Analysis", "Reachability", "KubeModel"]),
    .testTarget(name: "ChecksTests", dependencies: ["Checks", "Manifests", "Reachability", "KubeModel", "Synthesis"]),
    .testTarget(
      name: "PolicyGenTests", dependencies: ["TestSupport", "PolicyGen", "Synthesis", "Manifests", "Reachability", "Analysis", "KubeModel"],
      exclude: ["Fixtures"]),
    .testTarget(name: "CLITests", dependencies: ["TestSupport", "KubereachCLI", "Synthesis", "Manifests", "KubeModel"]),
    .testTarget(
      name: "ConformanceTests", dependencies: ["TestSupport", "KubereachCLI", "Manifests", "Reachability", "Analysis", "Formats"],
      exclude: ["Fixtures", "conformance-ratchet.txt"]),
  ]
)

// libFuzzer targets, only when asked for (scripts/fuzz.sh sets KUBEREACH_FUZZ=1 and builds them with
// -sanitize=fuzzer,address): they have no main of their own, libFuzzer provides it.
if ProcessInfo.processInfo.environment["KUBEREACH_FUZZ"] != nil {
  package.targets += [
    .executableTarget(name: "FuzzLoader", dependencies: ["Manifests"], path: "Fuzz/FuzzLoader"),
    .executableTarget(
      name: "FuzzModel", dependencies: ["Manifests", "Reachability", "Analysis", "Formats"],
      path: "Fuzz/FuzzModel"),
    .executableTarget(name: "FuzzFlows", dependencies: ["PolicyGen", "KubeModel"], path: "Fuzz/FuzzFlows"),
  ]
}
