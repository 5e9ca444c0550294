import Foundation
import KubeModel
import Manifests
import Reachability
import TestSupport
import Testing

/// Agreement with IBM's network-config-analyzer (NCA) on committed synthetic clusters.
///
/// Each folder of `Fixtures/nca/<seed>/` holds `manifests/` (made by `kubereach synth
/// --one-pod-per-workload`), `nca.txt` (NCA's `--connectivity -o txt_no_fw_rules --print_ipv6`
/// output on them) and `meta.json`. `scripts/make-nca-fixtures.sh` regenerates them; no NCA is
/// needed at test time. The comparison is the one of `scripts/nca_compare.py`: per (source,
/// destination) pair, per protocol (TCP, UDP, SCTP) and port; external ranges are compared
/// address block by address block after splitting both sides at every boundary.
@Suite struct NCAAgreementTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/nca")

  static var fixtures: [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
    return names.filter {
      FileManager.default.fileExists(atPath: root.appendingPathComponent($0).appendingPathComponent("nca.txt").path)
    }.sorted()
  }

  struct Meta: Decodable {
    var seed: Int
    var pods: Int
    var namespaces: Int
    var policies: Int
    var nca_version: String
  }

  @Test func fixturesArePresent() {
    #expect(Self.fixtures.count >= 4, "expected at least 4 NCA fixtures under \(Self.root.path)")
  }

  @Test(arguments: fixtures) func agreesWithNCA(_ name: String) throws {
    let dir = Self.root.appendingPathComponent(name)
    let meta = try JSONDecoder().decode(Meta.self, from: Data(contentsOf: dir.appendingPathComponent("meta.json")))
    let ncaText = try String(contentsOf: dir.appendingPathComponent("nca.txt"), encoding: .utf8)
    let nca = try NCAOutput.parse(ncaText)

    let load = ManifestLoader.load(paths: [dir.appendingPathComponent("manifests").path])
    #expect(!load.hasErrors, "load errors: \(load.diagnostics.filter { $0.severity == .error }.prefix(5))")
    let cluster = load.cluster
    #expect(cluster.pods.count == meta.pods, "fixture \(name): \(cluster.pods.count) pods, meta says \(meta.pods)")

    let engine = ReachabilityEngine(cluster: cluster)
    var ours: [PairKey: ConnectionSet] = [:]
    func peer(_ p: Peer) -> AgreementPeer {
      switch p {
      case .pod(let i): .workload(cluster.workloads[cluster.pods[i].workload].displayName)
      case .external(let r): .ip(r)
      }
    }
    for (src, dst, conns) in engine.allConnections() {
      let key = PairKey(src: peer(src), dst: peer(dst))
      if key.src == key.dst { continue }
      ours[key, default: .none] = ours[key, default: .none].union(conns)
    }

    let differences = NCAComparison.differences(nca: nca, kubereach: ours)
    let agrees = differences.isEmpty
    #expect(
      agrees,
      Comment(
        rawValue: "fixture \(name) (seed \(meta.seed)): \(differences.count) pair(s) differ from NCA \(meta.nca_version):\n"
          + differences.prefix(30).joined(separator: "\n")))
  }

  /// The parser understands every shape of NCA's connection text.
  @Test func parsesNCAConnectionShapes() throws {
    let text = """
      0.0.0.0-255.255.255.255 => a/x[Deployment] : All connections
      a/x[Deployment] => 10.0.0.1 : {protocols:TCP, UDP,dst_ports:53,80-90},{protocols:SCTP}
      a/x[Deployment] => b/y[StatefulSet] : All but {protocols:TCP,dst_ports:80}
      b/y[StatefulSet] => ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff : {protocols:UDP}
      b/y[StatefulSet] => a/x[Deployment] : {dst_ports:8080}
      """
    let parsed = try NCAOutput.parse(text)
    #expect(parsed.count == 5)
    let x = AgreementPeer.workload("a/x[Deployment]")
    let y = AgreementPeer.workload("b/y[StatefulSet]")
    #expect(parsed[PairKey(src: .ip(.all(.v4)), dst: x)] == .all)
    let one = IPRange(family: .v4, lower: 0x0A00_0001, upper: 0x0A00_0001)
    #expect(
      parsed[PairKey(src: x, dst: .ip(one))]
        == ConnectionSet([
          .tcp: [PortRange(53, 53), PortRange(80, 90)], .udp: [PortRange(53, 53), PortRange(80, 90)],
          .sctp: [.all],
        ]))
    #expect(
      parsed[PairKey(src: x, dst: y)]
        == ConnectionSet([.tcp: [PortRange(1, 79), PortRange(81, 65535)], .udp: [.all], .sctp: [.all]]))
    #expect(parsed[PairKey(src: y, dst: .ip(.all(.v6)))] == ConnectionSet([.udp: [.all]]))
    #expect(parsed[PairKey(src: y, dst: x)] == ConnectionSet([.tcp: [PortRange(8080, 8080)], .udp: [PortRange(8080, 8080)], .sctp: [PortRange(8080, 8080)]]))
  }

  /// Ranges split differently on the two sides still agree; a real difference is reported.
  @Test func comparesRangesPerAddressBlock() throws {
    let nca = try NCAOutput.parse("0.0.0.0-255.255.255.255 => a/x[Deployment] : {protocols:TCP,dst_ports:80}")
    let x = AgreementPeer.workload("a/x[Deployment]")
    let low = IPRange(family: .v4, lower: 0, upper: 0x09FF_FFFF)
    let high = IPRange(family: .v4, lower: 0x0A00_0000, upper: 0xFFFF_FFFF)
    let tcp80 = ConnectionSet([.tcp: [PortRange(80, 80)]])
    #expect(NCAComparison.differences(nca: nca, kubereach: [PairKey(src: .ip(low), dst: x): tcp80, PairKey(src: .ip(high), dst: x): tcp80]).isEmpty)
    let diff = NCAComparison.differences(nca: nca, kubereach: [PairKey(src: .ip(low), dst: x): tcp80])
    #expect(diff == ["10.0.0.0-255.255.255.255 => a/x[Deployment] : only NCA allows TCP 80"])
  }
}

/// A peer of the agreement check: a workload (`ns/name[Kind]`) or an external address range.
enum AgreementPeer: Hashable, Comparable, CustomStringConvertible {
  case workload(String)
  case ip(IPRange)

  var description: String {
    switch self {
    case .workload(let name): name
    case .ip(let r): r.lower == r.upper ? "\(r.lowerAddress)" : r.description
    }
  }

  static func < (a: AgreementPeer, b: AgreementPeer) -> Bool { a.description < b.description }
}

struct PairKey: Hashable {
  var src: AgreementPeer
  var dst: AgreementPeer
}

struct NCAParseError: Error, CustomStringConvertible {
  var description: String
}

/// NCA's `txt_no_fw_rules` output: `src => dst : conns` lines.
enum NCAOutput {
  static func parse(_ text: String) throws -> [PairKey: ConnectionSet] {
    var out: [PairKey: ConnectionSet] = [:]
    for raw in text.split(whereSeparator: \.isNewline) {
      let line = String(raw)
      if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
      guard let colon = line.range(of: " : "), let arrow = line.range(of: " => "), arrow.upperBound <= colon.lowerBound
      else { throw NCAParseError(description: "bad NCA line: \(line)") }
      let src = try peer(String(line[..<arrow.lowerBound]))
      let dst = try peer(String(line[arrow.upperBound..<colon.lowerBound]))
      let conns = try connections(String(line[colon.upperBound...]))
      let key = PairKey(src: src, dst: dst)
      out[key, default: .none] = out[key, default: .none].union(conns)
    }
    return out
  }

  static func peer(_ text: String) throws -> AgreementPeer {
    let t = text.trimmingCharacters(in: .whitespaces)
    if t.hasSuffix("]") && t.contains("/") && t.contains("[") { return .workload(t) }
    if let dash = t.firstIndex(of: "-"), let a = IPAddress(t[..<dash]), let b = IPAddress(t[t.index(after: dash)...]),
      a.family == b.family
    {
      return .ip(IPRange(family: a.family, lower: a.value, upper: b.value))
    }
    if let a = IPAddress(t) { return .ip(IPRange(family: a.family, lower: a.value, upper: a.value)) }
    throw NCAParseError(description: "bad NCA peer: \(text)")
  }

  static func connections(_ text: String) throws -> ConnectionSet {
    var t = text.trimmingCharacters(in: .whitespaces)
    if t == "All connections" { return .all }
    if t == "No connections" { return .none }
    var complement = false
    if t.hasPrefix("All but ") {
      complement = true
      t = String(t.dropFirst("All but ".count)).trimmingCharacters(in: .whitespaces)
    }
    var result = ConnectionSet.none
    var depth = 0
    var current = ""
    for ch in t {
      if ch == "{" {
        depth += 1
        if depth == 1 { current = ""; continue }
      } else if ch == "}" {
        depth -= 1
        if depth == 0 { result = result.union(try cube(current)); continue }
      }
      if depth > 0 { current.append(ch) }
    }
    guard depth == 0, t.hasPrefix("{") else { throw NCAParseError(description: "bad NCA connections: \(text)") }
    return complement ? ConnectionSet.all.subtracting(result) : result
  }

  static let dimensions = ["protocols", "dst_ports", "src_ports", "methods", "paths", "hosts", "icmp_type", "icmp_code"]

  /// One `{key:value,key:value}` body; values may contain commas, keys are known words.
  static func cube(_ body: String) throws -> ConnectionSet {
    var starts: [(key: String, range: Range<String.Index>)] = []
    var i = body.startIndex
    while i < body.endIndex {
      if i == body.startIndex || body[body.index(before: i)] == "," {
        for key in dimensions where body[i...].hasPrefix(key + ":") {
          starts.append((key, i..<body.index(i, offsetBy: key.count + 1)))
          break
        }
      }
      i = body.index(after: i)
    }
    guard let first = starts.first, first.range.lowerBound == body.startIndex
    else { throw NCAParseError(description: "bad NCA cube: {\(body)}") }
    var values: [String: String] = [:]
    for (n, s) in starts.enumerated() {
      var end = n + 1 < starts.count ? starts[n + 1].range.lowerBound : body.endIndex
      if end > s.range.upperBound && n + 1 < starts.count { end = body.index(before: end) }  // drop the comma
      values[s.key] = String(body[s.range.upperBound..<end])
    }
    var protocols = Set(TransportProtocol.allCases)
    if let p = values["protocols"] {
      var text = p.trimmingCharacters(in: .whitespaces)
      var negate = false
      if text == "*" {
        text = ""
      } else if text.hasPrefix("all but ") {
        negate = true
        text = String(text.dropFirst("all but ".count))
      }
      if !text.isEmpty || negate {
        let names = Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let named = Set(TransportProtocol.allCases.filter { names.contains($0.rawValue) })
        protocols = negate ? protocols.subtracting(named) : named
      }
    }
    var ports = [PortRange.all]
    if let p = values["dst_ports"] {
      ports = try p.split(separator: ",").map { item in
        let parts = item.trimmingCharacters(in: .whitespaces).split(separator: "-")
        guard let lo = Int(parts[0]), let hi = Int(parts.count > 1 ? parts[1] : parts[0]), parts.count <= 2
        else { throw NCAParseError(description: "bad NCA ports: \(p)") }
        return PortRange(lo, hi)
      }
    }
    return ConnectionSet(Dictionary(uniqueKeysWithValues: protocols.map { ($0, ports) }))
  }
}

/// The pair-by-pair, port-by-port comparison.
enum NCAComparison {
  /// One line per disagreeing pair (address blocks merged back where they differ alike).
  static func differences(nca: [PairKey: ConnectionSet], kubereach: [PairKey: ConnectionSet]) -> [String] {
    var cuts: [IPFamily: Set<UInt128>] = [:]
    for key in Array(nca.keys) + Array(kubereach.keys) {
      for p in [key.src, key.dst] {
        if case .ip(let r) = p {
          cuts[r.family, default: []].insert(r.lower)
          if r.upper < r.family.maxAddress { cuts[r.family, default: []].insert(r.upper + 1) }
        }
      }
    }
    let sortedCuts = cuts.mapValues { $0.sorted() }
    func atoms(_ p: AgreementPeer) -> [AgreementPeer] {
      guard case .ip(let r) = p else { return [p] }
      var out: [AgreementPeer] = []
      var lo = r.lower
      for c in sortedCuts[r.family] ?? [] where c > r.lower && c <= r.upper {
        out.append(.ip(IPRange(family: r.family, lower: lo, upper: c - 1)))
        lo = c
      }
      out.append(.ip(IPRange(family: r.family, lower: lo, upper: r.upper)))
      return out
    }
    func explode(_ table: [PairKey: ConnectionSet]) -> [PairKey: ConnectionSet] {
      var out: [PairKey: ConnectionSet] = [:]
      for (key, conns) in table where key.src != key.dst {
        for a in atoms(key.src) {
          for b in atoms(key.dst) {
            let k = PairKey(src: a, dst: b)
            out[k, default: .none] = out[k, default: .none].union(conns)
          }
        }
      }
      return out
    }
    let n = explode(nca)
    let k = explode(kubereach)
    var rows: [(src: AgreementPeer, dst: AgreementPeer, text: String)] = []
    for key in Set(n.keys).union(k.keys) {
      let a = n[key] ?? .none
      let b = k[key] ?? .none
      let onlyNCA = a.subtracting(b)
      let onlyOurs = b.subtracting(a)
      if onlyNCA.isEmpty && onlyOurs.isEmpty { continue }
      var parts: [String] = []
      if !onlyNCA.isEmpty { parts.append("only NCA allows \(describe(onlyNCA))") }
      if !onlyOurs.isEmpty { parts.append("only kubereach allows \(describe(onlyOurs))") }
      rows.append((key.src, key.dst, parts.joined(separator: "; ")))
    }
    // merge adjacent address blocks with the same other end and the same difference: sources
    // first (rows grouped by difference and destination), then destinations
    typealias Row = (src: AgreementPeer, dst: AgreementPeer, text: String)
    func merge(_ rows: [Row], sources: Bool) -> [Row] {
      let sorted = rows.sorted {
        sources
          ? ($0.text, key($0.dst), key($0.src)) < ($1.text, key($1.dst), key($1.src))
          : ($0.text, key($0.src), key($0.dst)) < ($1.text, key($1.src), key($1.dst))
      }
      var out: [Row] = []
      for row in sorted {
        if let last = out.last, last.text == row.text {
          if sources, last.dst == row.dst, case .ip(let p) = last.src, case .ip(let q) = row.src,
            p.family == q.family, p.upper + 1 == q.lower
          {
            out[out.count - 1].src = .ip(IPRange(family: p.family, lower: p.lower, upper: q.upper))
            continue
          }
          if !sources, last.src == row.src, case .ip(let p) = last.dst, case .ip(let q) = row.dst,
            p.family == q.family, p.upper + 1 == q.lower
          {
            out[out.count - 1].dst = .ip(IPRange(family: p.family, lower: p.lower, upper: q.upper))
            continue
          }
        }
        out.append(row)
      }
      return out
    }
    let merged = merge(merge(rows, sources: true), sources: false)
    return merged.map { "\($0.src) => \($0.dst) : \($0.text)" }.sorted()
  }

  /// Sort key keeping workloads by name and address blocks in address order.
  private static func key(_ p: AgreementPeer) -> String {
    switch p {
    case .workload(let name): "w:" + name
    case .ip(let r):
      "i:\(r.family.rawValue):" + String(repeating: "0", count: 32 - String(r.lower, radix: 16).count)
        + String(r.lower, radix: 16)
    }
  }

  static func describe(_ c: ConnectionSet) -> String {
    if c.isAll { return "All Connections" }
    return [TransportProtocol.tcp, .udp, .sctp].compactMap { proto in
      guard let r = c.ranges[proto], !r.isEmpty else { return nil }
      return "\(proto.rawValue) " + r.map(\.description).joined(separator: ",")
    }.joined(separator: ",")
  }
}
