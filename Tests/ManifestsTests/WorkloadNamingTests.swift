import Foundation
import KubeModel
import Manifests
import TestSupport
import Testing

/// Workload names the loader produces match those netpol-analyzer prints.
@Suite("Workload naming")
struct WorkloadNamingTests {
  /// Every `ns/name[Kind]` peer of the expected txt outputs of plain connlist cases names a
  /// workload of the loaded input.
  @Test(.enabled(if: TestCorpus.netpolAnalyzerIsPresent))
  func expectedPeersAreLoadedWorkloads() throws {
    let url = Corpus.netpolAnalyzer.appendingPathComponent("manifest.json")
    let data = try Data(contentsOf: url)
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let kinds = Set(WorkloadKind.allCases.map(\.rawValue))
    var failures: [String] = []
    var checked = 0
    for entry in json["cases"] as? [[String: Any]] ?? [] {
      guard entry["kind"] as? String == "connlist", entry["format"] as? String == "txt",
        entry["multiple_networks"] as? Bool != true, entry["exposure"] as? Bool != true,
        let dirs = entry["input_dirs"] as? [String], let expected = entry["expected"] as? String,
        let text = try? String(
          contentsOf: Corpus.netpolAnalyzer.appendingPathComponent(expected), encoding: .utf8)
      else { continue }
      let result = ManifestLoader.load(
        paths: dirs.map { Corpus.netpolAnalyzer.appendingPathComponent($0).path })
      let names = Set(result.cluster.workloads.map(\.displayName))
      var peers = Set<String>()
      for line in text.split(separator: "\n") {
        for part in line.components(separatedBy: " => ").prefix(2) {
          let peer =
            part.components(separatedBy: " : ").first?.trimmingCharacters(in: .whitespaces) ?? ""
          guard let open = peer.lastIndex(of: "["), peer.hasSuffix("]") else { continue }
          let kind = String(peer[peer.index(after: open)..<peer.index(before: peer.endIndex)])
          if kinds.contains(kind) { peers.insert(peer) }
        }
      }
      let missing = peers.subtracting(names)
      if !missing.isEmpty { failures.append("\(dirs): \(missing.sorted().prefix(3))") }
      checked += 1
    }
    #expect(checked > 100)
    #expect(failures.isEmpty, "\(failures.count) cases:\n\(failures.joined(separator: "\n"))")
  }
}
