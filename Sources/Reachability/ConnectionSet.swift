import KubeModel

/// A set of allowed connections: per transport protocol, disjoint sorted port ranges, plus
/// named ports that could not be resolved to numbers.
///
/// Values are always normalised (sorted, merged, disjoint; protocols without ports absent), so
/// the synthesised `Hashable` conformance compares sets by content.
public struct ConnectionSet: Hashable, Sendable, CustomStringConvertible {
  /// Disjoint, sorted, non-adjacent port ranges per protocol; protocols with no ports are absent.
  public private(set) var ranges: [TransportProtocol: [PortRange]]
  /// Named ports that stay unresolved (only for destinations whose ports are unknown; the
  /// engine's pair verdicts never carry any, as netpol-analyzer's connlist never prints any).
  public var namedPorts: [TransportProtocol: Set<String>] {
    didSet { namedPorts = namedPorts.filter { !$0.value.isEmpty } }
  }

  /// Every protocol, every port.
  public static let all = ConnectionSet(
    Dictionary(uniqueKeysWithValues: TransportProtocol.allCases.map { ($0, [PortRange.all]) }))
  /// Nothing.
  public static let none = ConnectionSet([:])

  /// A set from port ranges per protocol; the ranges may overlap and come in any order.
  public init(
    _ ports: [TransportProtocol: [PortRange]], namedPorts: [TransportProtocol: Set<String>] = [:]
  ) {
    var out: [TransportProtocol: [PortRange]] = [:]
    for (proto, list) in ports {
      let merged = ConnectionSet.normalise(list)
      if !merged.isEmpty { out[proto] = merged }
    }
    self.ranges = out
    self.namedPorts = namedPorts.filter { !$0.value.isEmpty }
  }

  /// Every port of the given protocols.
  public init(protocols: [TransportProtocol]) {
    self.init(Dictionary(uniqueKeysWithValues: protocols.map { ($0, [PortRange.all]) }))
  }

  static func normalise(_ list: [PortRange]) -> [PortRange] {
    let clipped = list.compactMap { r -> PortRange? in
      let lo = max(r.lower, 1)
      let hi = min(r.upper, 65535)
      return lo <= hi ? PortRange(lo, hi) : nil
    }.sorted()
    var merged: [PortRange] = []
    for r in clipped {
      if let last = merged.last, r.lower <= last.upper + 1 {
        merged[merged.count - 1].upper = max(last.upper, r.upper)
      } else {
        merged.append(r)
      }
    }
    return merged
  }

  /// Every protocol with every port, and no named ports.
  public var isAll: Bool {
    namedPorts.isEmpty
      && TransportProtocol.allCases.allSatisfy { ranges[$0] == [PortRange.all] }
  }

  /// No port of any protocol, and no named port.
  public var isEmpty: Bool { ranges.isEmpty && namedPorts.isEmpty }

  /// The connections in either set.
  public func union(_ other: ConnectionSet) -> ConnectionSet {
    var ports = ranges
    for (proto, list) in other.ranges { ports[proto, default: []] += list }
    var names = namedPorts
    for (proto, set) in other.namedPorts { names[proto, default: []].formUnion(set) }
    return ConnectionSet(ports, namedPorts: names)
  }

  /// The connections in both sets.
  public func intersection(_ other: ConnectionSet) -> ConnectionSet {
    var ports: [TransportProtocol: [PortRange]] = [:]
    for (proto, a) in ranges {
      guard let b = other.ranges[proto] else { continue }
      var i = 0
      var j = 0
      var out: [PortRange] = []
      while i < a.count && j < b.count {
        let lo = max(a[i].lower, b[j].lower)
        let hi = min(a[i].upper, b[j].upper)
        if lo <= hi { out.append(PortRange(lo, hi)) }
        if a[i].upper < b[j].upper { i += 1 } else { j += 1 }
      }
      ports[proto] = out
    }
    var names: [TransportProtocol: Set<String>] = [:]
    for (proto, set) in namedPorts {
      if let o = other.namedPorts[proto] { names[proto] = set.intersection(o) }
    }
    return ConnectionSet(ports, namedPorts: names)
  }

  /// The connections of this set that are not in `other`.
  public func subtracting(_ other: ConnectionSet) -> ConnectionSet {
    var ports: [TransportProtocol: [PortRange]] = [:]
    for (proto, a) in ranges {
      let b = other.ranges[proto] ?? []
      var out: [PortRange] = []
      for r in a {
        var lo = r.lower
        for cut in b where cut.upper >= lo && cut.lower <= r.upper {
          if cut.lower > lo { out.append(PortRange(lo, cut.lower - 1)) }
          lo = cut.upper + 1
        }
        if lo <= r.upper { out.append(PortRange(lo, r.upper)) }
      }
      ports[proto] = out
    }
    var names: [TransportProtocol: Set<String>] = [:]
    for (proto, set) in namedPorts { names[proto] = set.subtracting(other.namedPorts[proto] ?? []) }
    return ConnectionSet(ports, namedPorts: names)
  }

  /// Whether the numeric port of the protocol is in the set.
  public func contains(_ proto: TransportProtocol, _ port: Int) -> Bool {
    guard let list = ranges[proto] else { return false }
    var lo = 0
    var hi = list.count - 1
    while lo <= hi {
      let mid = (lo + hi) / 2
      if list[mid].upper < port {
        lo = mid + 1
      } else if list[mid].lower > port {
        hi = mid - 1
      } else {
        return true
      }
    }
    return false
  }

  /// Protocols that carry at least one port or name, sorted by name (SCTP, TCP, UDP).
  public var protocols: [TransportProtocol] {
    Set(ranges.keys).union(namedPorts.keys).sorted()
  }

  /// The protocols whose whole port range is in the set.
  public var fullProtocols: [TransportProtocol] {
    TransportProtocol.allCases.filter { ranges[$0] == [PortRange.all] }
  }

  /// netpol-analyzer's text: `All Connections`, `No Connections`, or e.g.
  /// `SCTP 1-9002,TCP 80,http,UDP 53` (protocols by name, ranges then sorted names).
  public var description: String {
    if isAll { return "All Connections" }
    if isEmpty { return "No Connections" }
    return protocols.map { proto in
      let items = (ranges[proto] ?? []).map(\.description) + (namedPorts[proto] ?? []).sorted()
      return "\(proto.rawValue) \(items.joined(separator: ","))"
    }.joined(separator: ",")
  }
}
