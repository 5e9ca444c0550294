import Foundation
import KubeModel
import TestSupport
import Testing

@testable import Manifests

/// The shared corpora next to the package, when present.
enum Corpus {
  static var netpolAnalyzer: URL { TestCorpus.netpolAnalyzer }
  static var ncaTests: URL { TestCorpus.ncaTests }

  struct FatalCase {
    var name: String
    var dirs: [String]
    var symbol: String
  }

  /// Good-path input folders and fatal cases of netpol-analyzer's manifest.json.
  static func manifest() -> (good: [String], fatal: [FatalCase])? {
    let url = netpolAnalyzer.appendingPathComponent("manifest.json")
    guard let data = try? Data(contentsOf: url),
      let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return nil }
    var good = Set<String>()
    for entry in json["cases"] as? [[String: Any]] ?? [] {
      for dir in entry["input_dirs"] as? [String] ?? [] { good.insert(dir) }
    }
    var fatal: [FatalCase] = []
    for entry in json["fatal_error_cases"] as? [[String: Any]] ?? [] {
      fatal.append(
        FatalCase(
          name: entry["name"] as? String ?? "", dirs: entry["input_dirs"] as? [String] ?? [],
          symbol: entry["upstream_error_symbol"] as? String ?? ""))
    }
    return (good.sorted(), fatal)
  }

  /// Sub-folders (recursively, excluding `url` itself) holding at least one manifest file.
  static func folders(under url: URL) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: url.path) else { return [] }
    var result = Set<String>()
    while let relative = enumerator.nextObject() as? String {
      let full = url.appendingPathComponent(relative)
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: full.path, isDirectory: &isDirectory),
        !isDirectory.boolValue,
        ["yaml", "yml", "json"].contains(full.pathExtension.lowercased())
      {
        result.insert(full.deletingLastPathComponent().path)
      }
    }
    result.remove(url.path)
    return result.sorted()
  }
}

/// Fatal cases that only the engine or the CLI can detect (not input-format errors).
let engineLevelFatalCases: Set<String> = [
  "Input_dir_has_pods_with_same_owner_name_w_different_labels_selected_by_policy_should_return_fatal_error",
  "Input_dir_has_pods_with_same_owner_name_w_different_labels_selected_by_policy_should_return_fatal_error2",
  "Input_dir_has_pods_with_same_owner_name_w_different_labels_selected_by_policy_should_return_fatal_error3",
]

/// Fatal cases of netpol-analyzer that kubereach answers on purpose (see the conformance runner):
/// a named port with an ipBlock peer is a located warning.
let deliberatelyAnsweredFatalCases: Set<String> = [
  "Input_dir_has_netpol_with_named_port_on_ipblock_peer_should_return_fatal_named_port_error"
]

@Suite("Corpus")
struct CorpusTests {
  @Test(
    "every good-path folder of netpol-analyzer loads without errors",
    .enabled(if: TestCorpus.netpolAnalyzerIsPresent))
  func goodPathsLoadCleanly() throws {
    let manifest = try #require(Corpus.manifest())
    var failures: [String] = []
    for dir in manifest.good {
      let result = ManifestLoader.load(paths: [
        Corpus.netpolAnalyzer.appendingPathComponent(dir).path
      ])
      let errors = result.diagnostics.filter { $0.severity == .error }
      if !errors.isEmpty {
        failures.append("\(dir): \(errors.prefix(3).map(\.description).joined(separator: " | "))")
      }
      let multiNetwork = ["udn", "nad"].contains { dir.contains($0) }
      if result.cluster.pods.isEmpty && result.cluster.networkPolicies.isEmpty && !multiNetwork {
        failures.append("\(dir): nothing loaded")
      }
    }
    #expect(failures.isEmpty, "\(failures.count) folders:\n\(failures.joined(separator: "\n"))")
  }

  @Test(
    "every non-multi-network fatal case of netpol-analyzer yields a located error",
    .enabled(if: TestCorpus.netpolAnalyzerIsPresent))
  func fatalCasesFail() throws {
    let manifest = try #require(Corpus.manifest())
    var failures: [String] = []
    for entry in manifest.fatal {
      let multiNetwork = entry.dirs.contains {
        $0.contains("udn") || $0.contains("cudn") || $0.contains("nad")
      }
      if multiNetwork || engineLevelFatalCases.contains(entry.name)
        || deliberatelyAnsweredFatalCases.contains(entry.name)
      {
        continue
      }
      let paths = entry.dirs.map { Corpus.netpolAnalyzer.appendingPathComponent($0).path }
      let result = ManifestLoader.load(paths: paths)
      let errors = result.diagnostics.filter { $0.severity == .error && $0.location != nil }
      let expected = CorpusTests.expectedCode(forUpstreamSymbol: entry.symbol)
      if errors.isEmpty || !errors.contains(where: { $0.code.rawValue == expected }) {
        failures.append(
          "\(entry.name) (\(entry.symbol)): got \(errors.map(\.code.rawValue)), expected \(expected)")
      }
    }
    #expect(failures.isEmpty, "\(failures.count) cases:\n\(failures.joined(separator: "\n"))")
  }

  /// Our diagnostic code for an upstream error symbol of netpol-analyzer.
  static func expectedCode(forUpstreamSymbol symbol: String) -> String {
    let table: [(String, String)] = [
      ("CidrErrTitle", "invalid-cidr"), ("InvalidCIDRAddr", "invalid-cidr"),
      ("SelectorErrTitle", "invalid-selector"),
      ("CombinedRulePeerErrStr", "invalid-peer"), ("EmptyRulePeerErrStr", "empty-peer"),
      ("ConvertNamedPortErrStr", "named-port-ipblock"), ("SameNameErr", "duplicate-object"),
      ("SameNameError", "duplicate-object"),
      ("EndPortWithNamedPortErrStr", "named-port-with-end-port"),
      ("IllegalPortRangeError", "invalid-port-range"), ("PriorityErrExplain", "duplicate-priority"),
      ("PriorityValueErr", "invalid-priority"), ("OneFieldSetSubjectErr", "invalid-subject"),
      ("RulePeersErr", "invalid-rule-peers"), ("OneFieldSetRulePeerErr", "invalid-peer"),
      ("ANPPortsError", "invalid-port"), ("UnknownRuleActionErr", "invalid-action"),
      ("BANPAlreadyExists", "duplicate-object"), ("BANPNameAssertion", "invalid-baseline-name"),
    ]
    return table.first { symbol.contains($0.0) }?.1 ?? "?"
  }

  @Test(
    "every folder of both corpora loads without crashing and yields objects or diagnostics",
    .enabled(if: TestCorpus.netpolAnalyzerIsPresent && TestCorpus.ncaTestsArePresent))
  func allFoldersLoad() throws {
    let folders =
      Corpus.folders(under: Corpus.netpolAnalyzer.appendingPathComponent("tests"))
      + Corpus.folders(under: Corpus.ncaTests)
    #expect(folders.count > 300)
    var empty: [String] = []
    for folder in folders {
      let result = ManifestLoader.load(paths: [folder])
      let c = result.cluster
      if c.pods.isEmpty && c.networkPolicies.isEmpty && c.adminNetworkPolicies.isEmpty
        && c.baselineAdminNetworkPolicies.isEmpty && c.namespaces.isEmpty
        && result.diagnostics.isEmpty
      {
        empty.append(URL(fileURLWithPath: folder).lastPathComponent)
      }
    }
    // bad_yamls/subdir holds an empty file; nad_test_2 only multi-network kinds.
    #expect(Set(empty) == ["subdir", "nad_test_2"], "folders that yield nothing: \(empty.prefix(5))")
  }

  /// nca-tests folders whose policies are invalid Kubernetes input on purpose.
  static let ncaInvalidFolders: Set<String> = [
    "k8s-network-policy-check-checks_policy",  // ipBlock cidr without a prefix length
    "k8s-withipblock2-np3",  // except entries outside their cidr
  ]

  @Test(
    "nca-tests folders load without errors, except the deliberately invalid ones",
    .enabled(if: TestCorpus.ncaTestsArePresent))
  func ncaFoldersLoadCleanly() throws {
    for folder in Corpus.folders(under: Corpus.ncaTests) {
      let result = ManifestLoader.load(paths: [folder])
      let errors = result.diagnostics.filter { $0.severity == .error }
      let name = URL(fileURLWithPath: folder).lastPathComponent
      if CorpusTests.ncaInvalidFolders.contains(name) {
        #expect(!errors.isEmpty, "\(name) should fail")
      } else {
        #expect(
          errors.isEmpty, "\(name): \(errors.prefix(3).map(\.description).joined(separator: " | "))"
        )
        #expect(!result.cluster.pods.isEmpty, "\(name): no pods")
      }
    }
  }
}
