import KubeModel

/// The flow file formats the readers understand.
public enum FlowFormat: String, CaseIterable, Sendable {
  /// Ours: JSON Lines or CSV with `source`, `destination`, `protocol`, `port`, `count`.
  case ours
  /// `hubble observe -o json`: one flow object (or `{"flow": {...}}`) per line.
  case hubble
  /// Otterize `ClientIntents` YAML.
  case intents
}

/// One end of an observed flow, as the input names it (resolved against the manifests later).
public enum FlowEndpoint: Hashable, Sendable, CustomStringConvertible {
  /// `ns/name`: a workload of that name, else a pod of that name.
  case named(namespace: String, name: String)
  /// A Hubble endpoint: its namespace, the workload Cilium names (if any), the pod name and the
  /// pod's labels (`key=value`, source prefixes such as `k8s:` removed), used in that order.
  case hubble(namespace: String, workload: String?, pod: String?, labels: [String])
  /// An address or block outside the cluster.
  case address(CIDR)

  public var description: String {
    switch self {
    case .named(let ns, let name): return "\(ns)/\(name)"
    case .hubble(let ns, let workload, let pod, _): return "\(ns)/\(workload ?? pod ?? "?")"
    case .address(let cidr): return cidr.flowText
    }
  }
}

extension CIDR {
  /// The address alone for a single-address block, else the CIDR: how flows name external peers.
  public var flowText: String { prefixLength == family.bitWidth ? address.description : description }
}

/// Flows of one source, destination, protocol and port, with how often they were seen.
public struct ObservedFlow: Hashable, Sendable {
  public var source: FlowEndpoint
  public var destination: FlowEndpoint
  public var transport: TransportProtocol
  public var port: Int
  /// How many input lines (or the sum of their counts) named this flow.
  public var count: Int
  /// Where it was first named.
  public var location: SourceLocation
  /// DNS names seen for an external destination (Hubble `destination_names`), sorted.
  public var destinationNames: [String]

  public init(
    source: FlowEndpoint, destination: FlowEndpoint, transport: TransportProtocol, port: Int,
    count: Int = 1, location: SourceLocation, destinationNames: [String] = []
  ) {
    self.source = source
    self.destination = destination
    self.transport = transport
    self.port = port
    self.count = count
    self.location = location
    self.destinationNames = destinationNames
  }

  /// `src -> dst PROTO/port`.
  public var summary: String { "\(source) -> \(destination) \(transport.rawValue)/\(port)" }
}

/// What reading a flow file produced.
public struct FlowReadResult: Sendable {
  /// Distinct flows in the order first seen.
  public var flows: [ObservedFlow]
  /// Broken lines and other problems (warnings), sorted; the reading went on.
  public var diagnostics: [Diagnostic]
  /// Lines or entries skipped on purpose, by reason (`reply`, `ICMPv4`, ...), with counts.
  public var skipped: [String: Int]
  /// Input lines (or intents) read.
  public var records: Int
  /// The format that was read.
  public var format: FlowFormat

  public init(
    flows: [ObservedFlow] = [], diagnostics: [Diagnostic] = [], skipped: [String: Int] = [:], records: Int = 0,
    format: FlowFormat
  ) {
    self.flows = flows
    self.diagnostics = diagnostics
    self.skipped = skipped
    self.records = records
    self.format = format
  }
}

/// Collects flows: merges repeats, keeps the first location, caps repeated diagnostics.
struct FlowAccumulator {
  struct Key: Hashable {
    var source: FlowEndpoint
    var destination: FlowEndpoint
    var transport: TransportProtocol
    var port: Int
  }
  var index: [Key: Int] = [:]
  var flows: [ObservedFlow] = []
  var names: [Int: Set<String>] = [:]
  var diagnostics: [Diagnostic] = []
  var perCode: [DiagnosticCode: Int] = [:]
  var skipped: [String: Int] = [:]
  var records = 0
  /// The most diagnostics of one code kept; the rest are counted in one summary line.
  static let diagnosticCap = 50

  mutating func add(
    _ source: FlowEndpoint, _ destination: FlowEndpoint, _ transport: TransportProtocol, _ port: Int,
    count: Int, at location: SourceLocation, names: [String] = []
  ) {
    let key = Key(source: source, destination: destination, transport: transport, port: port)
    let i: Int
    if let hit = index[key] {
      i = hit
      flows[i].count += count
    } else {
      i = flows.count
      index[key] = i
      flows.append(
        ObservedFlow(
          source: source, destination: destination, transport: transport, port: port, count: count,
          location: location))
    }
    if !names.isEmpty { self.names[i, default: []].formUnion(names) }
  }

  /// Adds what another accumulator read from the lines after this one's: its line numbers
  /// are shifted by `lineOffset`; flows already seen keep their first location.
  mutating func merge(_ other: FlowAccumulator, lineOffset: Int) {
    func shifted(_ l: SourceLocation) -> SourceLocation {
      var out = l
      out.line += lineOffset
      return out
    }
    for (j, flow) in other.flows.enumerated() {
      let key = Key(source: flow.source, destination: flow.destination, transport: flow.transport, port: flow.port)
      let i: Int
      if let hit = index[key] {
        i = hit
        flows[i].count += flow.count
      } else {
        i = flows.count
        index[key] = i
        var moved = flow
        moved.location = shifted(flow.location)
        flows.append(moved)
      }
      if let set = other.names[j] { names[i, default: []].formUnion(set) }
    }
    for d in other.diagnostics {
      let kept = diagnostics.filter { $0.code == d.code }.count
      if kept < Self.diagnosticCap {
        var moved = d
        moved.location = d.location.map(shifted)
        diagnostics.append(moved)
      }
    }
    for (code, n) in other.perCode { perCode[code, default: 0] += n }
    for (reason, n) in other.skipped { skipped[reason, default: 0] += n }
    records += other.records
  }

  mutating func warn(_ code: DiagnosticCode, _ message: String, at location: SourceLocation?) {
    perCode[code, default: 0] += 1
    if perCode[code]! <= Self.diagnosticCap { diagnostics.append(.warning(code, message, at: location)) }
  }

  mutating func skip(_ reason: String) { skipped[reason, default: 0] += 1 }

  func finish(format: FlowFormat) -> FlowReadResult {
    var out = flows
    for (i, set) in names { out[i].destinationNames = set.sorted() }
    var diagnostics = self.diagnostics
    for (code, n) in perCode where n > Self.diagnosticCap {
      diagnostics.append(
        .warning(code, "\(n - Self.diagnosticCap) more problems of this kind not listed (\(n) in all)", at: nil))
    }
    return FlowReadResult(
      flows: out, diagnostics: diagnostics.sorted(), skipped: skipped, records: records, format: format)
  }
}
