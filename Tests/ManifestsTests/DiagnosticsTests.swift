import Foundation
import KubeModel
import TestSupport
import Testing

@testable import Manifests

/// Each fatal input error carries the code, file, line and column of the offending node.
@Suite("Diagnostics")
struct DiagnosticsTests {
  /// Asserts exactly one error with `code` at `line`:`column` of `bad.yaml`.
  func expectError(
    _ yaml: String, code: DiagnosticCode, line: Int, column: Int, document: Int = 0,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
  ) {
    let errors = loadErrors(yaml)
    #expect(
      errors.map(\.code) == [code], "\(errors.map(\.description))", sourceLocation: sourceLocation)
    guard let location = errors.first?.location else {
      Issue.record("no location", sourceLocation: sourceLocation)
      return
    }
    #expect(location.file == "bad.yaml", sourceLocation: sourceLocation)
    #expect(
      location.line == line && location.column == column, "\(location)",
      sourceLocation: sourceLocation)
    #expect(location.document == document, sourceLocation: sourceLocation)
  }

  static let policyHeader = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: np}
    spec:
    """

  func policy(_ body: String) -> String { DiagnosticsTests.policyHeader + "\n" + body }

  @Test func yamlSyntaxError() {
    expectError(
      "kind: Namespace\nmetadata: {name: a\n---\n", code: .yamlSyntax, line: 3, column: 1)
  }

  @Test func syntaxErrorInLaterDocumentKeepsEarlierOnes() {
    let result = ManifestLoader.load(
      yaml: "kind: Namespace\nmetadata: {name: a}\n---\nkey: [unclosed\n", file: "bad.yaml")
    #expect(result.cluster.namespaces.map(\.name) == ["a"])
    #expect(result.diagnostics.first { $0.severity == .error }?.location?.document == 1)
  }

  @Test func invalidUTF8() {
    var bytes = Array("kind: Namespace\nmetadata:\n  name: ".utf8)
    bytes += [0xC3, 0x28, 0x0A]
    let result = ManifestLoader.load(bytes: bytes, file: "bad.yaml")
    let error = result.diagnostics.first { $0.severity == .error }
    #expect(error?.code == .invalidEncoding)
    // libyaml points at the offending octet: the trailing byte of the broken sequence.
    #expect(
      error?.location?.line == 3 && error?.location?.column == 10, "\(String(describing: error))")
  }

  @Test func badLabelKey() {
    expectError(
      policy("  podSelector:\n    matchLabels:\n      app@b: x\n"), code: .invalidSelector,
      line: 7, column: 7)
  }

  @Test func badLabelValue() {
    expectError(
      policy("  podSelector:\n    matchLabels: {app: $x}\n"), code: .invalidSelector, line: 6,
      column: 18)
  }

  @Test func badOperator() {
    expectError(
      policy("  podSelector:\n    matchExpressions:\n    - {key: a, operator: Has, values: [x]}\n"),
      code: .invalidSelector, line: 7, column: 26)
  }

  @Test func inWithoutValues() {
    expectError(
      policy("  podSelector:\n    matchExpressions:\n    - key: a\n      operator: NotIn\n"),
      code: .invalidSelector, line: 7, column: 7)
  }

  @Test func existsWithValues() {
    expectError(
      policy(
        "  podSelector:\n    matchExpressions:\n    - {key: a, operator: Exists, values: [x]}\n"),
      code: .invalidSelector, line: 7, column: 42)
  }

  @Test func invalidCIDR() {
    expectError(
      policy("  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/33}\n"), code: .invalidCIDR,
      line: 7, column: 23)
  }

  @Test func exceptOutsideCIDR() {
    expectError(
      policy(
        "  ingress:\n  - from:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n        except: [11.0.0.0/16]\n"
      ),
      code: .invalidExcept, line: 9, column: 18)
  }

  @Test func portOutOfRange() {
    expectError(
      policy("  ingress:\n  - ports:\n    - port: 70000\n"), code: .invalidPort, line: 7,
      column: 13)
  }

  @Test func endPortBelowPort() {
    expectError(
      policy("  egress:\n  - ports:\n    - {port: 10, endPort: 1}\n"), code: .invalidPortRange,
      line: 7, column: 27)
  }

  @Test func endPortWithoutPort() {
    expectError(
      policy("  egress:\n  - ports:\n    - endPort: 10\n"), code: .endPortWithoutPort, line: 7,
      column: 16)
  }

  @Test func namedPortWithEndPort() {
    expectError(
      policy("  egress:\n  - ports:\n    - {port: http, endPort: 10}\n"),
      code: .namedPortWithEndPort, line: 7,
      column: 29)
  }

  @Test func namedPortToIPBlockIsALocatedWarning() {
    let result = ManifestLoader.load(
      yaml: policy("  egress:\n  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]\n    ports:\n    - port: dns\n"),
      file: "bad.yaml")
    #expect(!result.hasErrors)
    let warning = result.diagnostics.first { $0.code == .namedPortIPBlock }
    #expect(warning?.severity == .warning)
    #expect(warning?.location?.line == 8 && warning?.location?.column == 7)
    #expect(result.cluster.networkPolicies.count == 1)
  }

  @Test func ipBlockWithSelector() {
    expectError(
      policy("  ingress:\n  - from:\n    - ipBlock: {cidr: 0.0.0.0/0}\n      podSelector: {}\n"),
      code: .invalidPeer, line: 7, column: 7)
  }

  @Test func emptyPeer() {
    expectError(policy("  ingress:\n  - from:\n    - {}\n"), code: .emptyPeer, line: 7, column: 7)
  }

  @Test func invalidProtocol() {
    expectError(
      policy("  ingress:\n  - ports:\n    - {port: 80, protocol: tcp}\n"), code: .invalidProtocol,
      line: 7, column: 28)
  }

  @Test func duplicatePolicy() {
    expectError(
      policy("  podSelector: {}\n") + "\n---\n" + policy("  podSelector: {matchLabels: {a: b}}\n"),
      code: .duplicateObject, line: 8,
      column: 1, document: 1)
  }

  @Test func wrongValueTypes() {
    expectError(
      "kind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: three\n", code: .invalidType,
      line: 4, column: 13)
    expectError(policy("  ingress:\n  - ports: 80\n"), code: .invalidType, line: 6, column: 12)
    expectError(
      policy("  podSelector:\n    matchLabels: [a]\n"), code: .invalidType, line: 6, column: 18)
  }

  @Test func adminPolicyValidation() {
    let header =
      "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: a}\nspec:\n"
    expectError(
      header + "  priority: 1001\n  subject: {namespaces: {}}\n", code: .invalidPriority, line: 5,
      column: 13)
    expectError(header + "  priority: 1\n", code: .invalidSubject, line: 5, column: 3)
    expectError(
      header + "  priority: 1\n  subject: {namespaces: {}, pods: {}}\n", code: .invalidSubject,
      line: 6, column: 12)
    expectError(
      header
        + "  priority: 1\n  subject: {namespaces: {}}\n  egress:\n  - {name: r, action: Allow}\n",
      code: .invalidRulePeers, line: 8, column: 5)
    expectError(
      header
        + "  priority: 1\n  subject: {namespaces: {}}\n  egress:\n  - {name: r, action: Maybe, to: [{namespaces: {}}]}\n",
      code: .invalidAction, line: 8, column: 23)
    expectError(
      header
        + "  priority: 1\n  subject: {namespaces: {}}\n  ingress:\n  - {name: r, action: Allow, from: [{namespaces: {}, pods: {}}]}\n",
      code: .invalidPeer, line: 8, column: 37)
    expectError(
      header
        + "  priority: 1\n  subject: {namespaces: {}}\n  ingress:\n  - name: r\n    action: Allow\n    from: [{namespaces: {}}]\n    ports: [{namedPort: a, portNumber: {port: 1}}]\n",
      code: .invalidPort, line: 11, column: 13)
    let two =
      header + "  priority: 5\n  subject: {namespaces: {}}\n---\n"
      + header.replacingOccurrences(of: "name: a", with: "name: b")
      + "  priority: 5\n  subject: {namespaces: {}}\n"
    expectError(two, code: .duplicatePriority, line: 8, column: 1, document: 1)
  }

  @Test func baselineValidation() {
    let banp = { (name: String) in
      "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {name: \(name)}\nspec:\n  subject: {namespaces: {}}\n"
    }
    expectError(banp("other"), code: .invalidBaselineName, line: 3, column: 18)
    let errors = loadErrors(
      banp("default") + "  ingress: [{name: r, action: Pass, from: [{namespaces: {}}]}]\n")
    #expect(errors.map(\.code.rawValue) == ["invalid-action"])
  }

  @Test func errorsAreSorted() {
    let result = ManifestLoader.load(
      yaml: policy(
        "  ingress:\n  - ports: [{port: 0}]\n  - from: [{}]\n  egress:\n  - ports: [{port: 70000}]\n"
      ),
      file: "bad.yaml")
    let lines = result.diagnostics.compactMap { $0.location?.line }
    #expect(lines == lines.sorted())
    #expect(result.diagnostics.filter { $0.severity == .error }.count == 3)
  }
}

/// Hostile input produces errors, never a crash or unbounded memory.
@Suite("Hostile input")
struct HostileInputTests {
  @Test func billionLaughs() {
    var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in 1..<10 {
      yaml +=
        "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ")
        + "]\n"
    }
    let errors = loadErrors(yaml)
    #expect(errors.map(\.code.rawValue) == ["yaml-alias-expansion"])
    #expect(errors.first?.location?.line ?? 0 > 1)
  }

  @Test func deepNesting() {
    let depth = 2000
    let yaml = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    let errors = loadErrors(yaml)
    #expect(errors.map(\.code.rawValue) == ["yaml-too-deep"])
    #expect(errors.first?.location?.column == 513)
  }

  @Test func hugeScalar() {
    let yaml =
      "kind: Namespace\nmetadata: {name: " + String(repeating: "a", count: (1 << 20) + 1) + "}\n"
    #expect(loadErrors(yaml).map(\.code.rawValue) == ["yaml-scalar-too-large"])
  }

  @Test func recursiveAlias() {
    #expect(loadErrors("a: &x [*x]\n").map(\.code.rawValue) == ["yaml-syntax"])
  }

  @Test func garbageDoesNotCrash() {
    let inputs: [[UInt8]] = [
      [0xFF, 0xFE, 0x00],
      Array(
        "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{ports: [{containerPort: 99999999999999999999}]}]}"
          .utf8),
      Array("kind: Deployment\nmetadata: {name: x}\nspec: {replicas: -3}".utf8),
      Array("kind: Deployment\nmetadata: {name: x}\nspec: {replicas: 9999999999999999999}".utf8),
      Array("kind: Deployment\nmetadata: {name: x}\nspec: {replicas: -9223372036854775808}".utf8),
      Array("kind: Deployment\nmetadata: {name: x}\nspec: {replicas: 0x7FFFFFFFFFFFFFFF}".utf8),
      Array("kind: List\nitems: 5".utf8), Array("- - - - 1".utf8), Array("kind: [Pod]".utf8),
      Array("? [a, b]\n: c\n".utf8), Array("kind: Pod\nmetadata: {name: \"\\0\"}".utf8),
      Array(
        "kind: NetworkPolicy\nmetadata: {name: n}\nspec: {ingress: [{ports: [{port: 1, endPort: 999999999999}]}]}"
          .utf8),
    ]
    for input in inputs {
      _ = ManifestLoader.load(bytes: input, file: "garbage")
    }
  }
}

/// Mutated corpus files (truncated, bytes replaced) load without crashing.
@Suite("Fuzz")
struct FuzzTests {
  /// A small deterministic generator (SplitMix64).
  struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  @Test(.enabled(if: TestCorpus.netpolAnalyzerIsPresent))
  func mutatedCorpusFiles() throws {
    let dirs = [
      "tests/onlineboutique", "tests/anp_test_4", "tests/ipblockstest", "tests/acs-security-demos",
    ]
    var files: [String] = []
    for dir in dirs {
      let found = FileDiscovery.files(at: Corpus.netpolAnalyzer.appendingPathComponent(dir).path)
      files += found.files.prefix(3)
    }
    var rng = SplitMix(state: 42)
    let alphabet = Array(" \n\t:-[]{}&*!|>'\"#,?%@`0a\u{0}".utf8) + [0xC3, 0xFF]
    var loads = 0
    for file in files {
      guard let data = FileManager.default.contents(atPath: file) else { continue }
      let original = [UInt8](data)
      for _ in 0..<40 {
        var bytes = original
        if bytes.isEmpty { break }
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
          let at = Int.random(in: 0..<bytes.count, using: &rng)
          bytes[at] = alphabet.randomElement(using: &rng) ?? 0x20
        }
        if Bool.random(using: &rng) {
          bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
        }
        let result = ManifestLoader.load(bytes: bytes, file: "fuzz")
        for error in result.diagnostics where error.severity == .error {
          #expect(
            error.location.map { $0.file == "fuzz" && $0.line >= 1 && $0.column >= 1 } == true,
            "an error on mangled input must point into it: \(error)")
        }
        _ = ManifestWriter.yaml(for: result.cluster)
        loads += 1
      }
    }
    #expect(loads > 100)
  }
}
