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

/// The nodes and labelled edges of a DOT text, for comparing graphs without layout details.
struct DOTGraph: Equatable {
  var nodes: Set<String> = []
  var edges: Set<String> = []

  init(_ text: String) {
    for rawLine in text.split(separator: "\n") {
      let line = rawLine.trimmingCharacters(in: .whitespaces)
      guard line.hasPrefix("\"") else { continue }
      let quoted = Self.quotedStrings(line)
      if line.contains("\" -> \"") && quoted.count >= 2 {
        let label = Self.attribute("label", in: line) ?? ""
        edges.insert("\(quoted[0]) -> \(quoted[1]) : \(label)")
      } else if let first = quoted.first {
        nodes.insert("\(first) : \(Self.attribute("label", in: line) ?? "")")
      }
    }
  }

  static func quotedStrings(_ line: String) -> [String] {
    var result: [String] = []
    var current = ""
    var inside = false
    var escaped = false
    for ch in line {
      if inside {
        if escaped {
          current.append(ch)
          escaped = false
        } else if ch == "\\" {
          escaped = true
        } else if ch == "\"" {
          result.append(current)
          current = ""
          inside = false
        } else {
          current.append(ch)
        }
      } else if ch == "\"" {
        inside = true
      } else if ch == "[" {
        break
      }
    }
    return result
  }

  static func attribute(_ name: String, in line: String) -> String? {
    guard let range = line.range(of: "\(name)=\"") else { return nil }
    var value = ""
    var escaped = false
    for ch in line[range.upperBound...] {
      if escaped {
        value.append(ch)
        escaped = false
      } else if ch == "\\" {
        escaped = true
      } else if ch == "\"" {
        return value
      } else {
        value.append(ch)
      }
    }
    return value
  }
}
