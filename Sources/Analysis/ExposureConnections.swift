import KubeModel
import Reachability

/// Connections toward peers whose ports are unknown: numeric port ranges plus named ports that
/// could not be resolved. Names are kept per protocol; an admin policy's named port toward an
/// unknown peer has no protocol (the empty key), as netpol-analyzer prints it.
struct ExposureConnections: Hashable, Sendable, TierSet {
  static var nothing: ExposureConnections { .none }
  var isNothing: Bool { isEmpty }

  /// Numeric ports (without named ports).
  var ports: ConnectionSet
  /// Unresolved named ports by protocol name (`TCP`, `UDP`, `SCTP`, or empty for any protocol).
  var names: [String: Set<String>]

  /// Numeric ports and names.
  init(ports: ConnectionSet, names: [String: Set<String>] = [:]) {
    self.ports = ConnectionSet(ports.ranges)
    self.names = names.filter { !$0.value.isEmpty }
  }

  /// Every protocol and port.
  static let all = ExposureConnections(ports: .all)
  /// Nothing.
  static let none = ExposureConnections(ports: .none)

  /// No port and no name.
  var isEmpty: Bool { ports.isEmpty && names.isEmpty }

  /// Every port of every protocol (names aside).
  var isAllPorts: Bool { ports.isAll }

  /// Whether the whole port range of the protocol (or, for the empty name, of every protocol)
  /// is in the set.
  func isFull(_ proto: String) -> Bool {
    if proto.isEmpty { return ports.isAll }
    guard let transport = TransportProtocol(rawValue: proto) else { return false }
    return ports.ranges[transport] == [PortRange.all]
  }

  /// The connections in either set.
  func union(_ other: ExposureConnections) -> ExposureConnections {
    if other.isEmpty || (isAllPorts && other.names.isEmpty) { return self }
    if isEmpty { return other }
    var merged = names
    for (proto, set) in other.names { merged[proto, default: []].formUnion(set) }
    return ExposureConnections(ports: ports.union(other.ports), names: merged)
  }

  /// The connections in both sets; a name survives against a protocol's full range.
  func intersection(_ other: ExposureConnections) -> ExposureConnections {
    if other.isAllPorts && other.names.isEmpty { return self }
    if isAllPorts && names.isEmpty { return other }
    if isEmpty || other.isEmpty { return .none }
    var merged: [String: Set<String>] = [:]
    for proto in Set(names.keys).union(other.names.keys) {
      let mine = names[proto] ?? []
      let theirs = other.names[proto] ?? []
      var kept = mine.intersection(theirs)
      if other.isFull(proto) { kept.formUnion(mine) }
      if isFull(proto) { kept.formUnion(theirs) }
      merged[proto] = kept
    }
    return ExposureConnections(ports: ports.intersection(other.ports), names: merged)
  }

  /// The connections of this set that are not in `other`.
  func subtracting(_ other: ExposureConnections) -> ExposureConnections {
    if other.isEmpty || isEmpty { return self }
    var merged: [String: Set<String>] = [:]
    for (proto, set) in names where !other.isFull(proto) {
      merged[proto] = set.subtracting(other.names[proto] ?? [])
    }
    return ExposureConnections(ports: ports.subtracting(other.ports), names: merged)
  }

  /// Whether a numeric port of a protocol is in the set.
  func contains(_ focus: FocusConnection) -> Bool {
    ports.contains(focus.transport, focus.port)
  }
}
