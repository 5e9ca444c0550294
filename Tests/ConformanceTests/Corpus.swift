import Foundation
import TestSupport

/// The netpol-analyzer golden corpus beside the project (`../shared/corpus/netpol-analyzer`).
enum NetpolCorpus {
  static var root: URL { TestCorpus.netpolAnalyzer }

  static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  struct Case: Decodable {
    var kind: String
    var input_dirs: [String]
    var format: String?
    var focus_workloads: [String]?
    var focus_workload_peers: [String]?
    var focus_direction: String?
    var focus_conn: String?
    var explain_only: String?
    var exposure: Bool?
    var multiple_networks: Bool?
    var ref1: String?
    var ref2: String?
    var expected: String?
    var name: String?
    var upstream_error_symbol: String?

    var label: String { expected ?? name ?? input_dirs.joined(separator: ",") }
  }

  struct Manifest: Decodable {
    var cases: [Case]
    var fatal_error_cases: [Case]
  }

  static func manifest() throws -> Manifest {
    let data = try Data(contentsOf: root.appendingPathComponent("manifest.json"))
    return try JSONDecoder().decode(Manifest.self, from: data)
  }
}
