import KubeModel

/// The external address ranges a report lists, split the way netpol-analyzer splits them:
/// sources by the blocks of ingress rules, destinations by the blocks of egress rules, each
/// family's whole space cut at every block boundary.
public struct ExternalRanges: Sendable {
  /// Ranges that appear as sources (cut at ingress ipBlocks).
  public var ingressSources: [IPRange]
  /// Ranges that appear as destinations (cut at egress ipBlocks and admin `networks`).
  public var egressDestinations: [IPRange]

  /// True when some policy names an IPv6 block.
  public var mentionsIPv6: Bool

  /// With `includeIPv6` false, IPv6 blocks are left out (netpol-analyzer reports IPv4 only).
  public init(cluster: Cluster, includeIPv6: Bool = false) {
    var ingressBlocks: [IPRange] = []
    var egressBlocks: [IPRange] = []
    for policy in cluster.networkPolicies {
      for rule in policy.ingress { ingressBlocks += Self.blocks(of: rule) }
      for rule in policy.egress { egressBlocks += Self.blocks(of: rule) }
    }
    for policy in cluster.adminNetworkPolicies + cluster.baselineAdminNetworkPolicies {
      for rule in policy.egress {
        for case .networks(let cidrs) in rule.peers { egressBlocks += Self.merge(cidrs.map(\.range)) }
      }
    }
    mentionsIPv6 = (ingressBlocks + egressBlocks).contains { $0.family == .v6 }
    if !includeIPv6 {
      ingressBlocks.removeAll { $0.family == .v6 }
      egressBlocks.removeAll { $0.family == .v6 }
    }
    // A family named by any policy is listed in both directions: an IPv6 ingress block says
    // the cluster is dual-stack, so pods reach (and are reached from) IPv6 addresses both ways.
    let families = Set((ingressBlocks + egressBlocks).map(\.family)).union([.v4])
    ingressSources = Self.split(ingressBlocks, families: families)
    egressDestinations = Self.split(egressBlocks, families: families)
  }

  /// The address intervals of each ipBlock of a rule: its CIDR minus its exceptions, with
  /// adjacent pieces merged, so that only the edges of the block's own shape cut the space.
  static func blocks(of rule: NetworkPolicyRule) -> [IPRange] {
    rule.peers.flatMap { peer -> [IPRange] in
      guard case .ipBlock(let block) = peer else { return [] }
      return subtract(block.except.map(\.range), from: block.cidr.range)
    }
  }

  /// The union of ranges as sorted disjoint intervals, adjacent ones joined.
  static func merge(_ ranges: [IPRange]) -> [IPRange] {
    var result: [IPRange] = []
    for range in ranges.sorted() {
      if let last = result.last, last.family == range.family,
        last.upper == last.family.maxAddress || range.lower <= last.upper + 1
      {
        result[result.count - 1].upper = max(last.upper, range.upper)
      } else {
        result.append(range)
      }
    }
    return result
  }

  /// `range` minus the union of `holes`, as sorted disjoint intervals.
  static func subtract(_ holes: [IPRange], from range: IPRange) -> [IPRange] {
    var pieces: [IPRange] = []
    var cursor = range.lower
    var exhausted = false
    for hole in holes.filter({ $0.family == range.family }).sorted() {
      if exhausted || hole.upper < cursor { continue }
      if hole.lower > range.upper { break }
      if hole.lower > cursor { pieces.append(IPRange(family: range.family, lower: cursor, upper: hole.lower - 1)) }
      if hole.upper >= range.upper {
        exhausted = true
      } else {
        cursor = max(cursor, hole.upper + 1)
      }
    }
    if !exhausted { pieces.append(IPRange(family: range.family, lower: cursor, upper: range.upper)) }
    return pieces
  }

  /// Cuts each family's whole space (the `required` families, and every family a block is of)
  /// at every block boundary and returns the pieces in address order.
  public static func split(_ blocks: [IPRange], families required: Set<IPFamily> = [.v4]) -> [IPRange] {
    var result: [IPRange] = []
    var families = required
    for block in blocks { families.insert(block.family) }
    for family in families.sorted() {
      var starts: Set<UInt128> = [0]
      for block in blocks where block.family == family {
        starts.insert(block.lower)
        if block.upper < family.maxAddress { starts.insert(block.upper + 1) }
      }
      let ordered = starts.sorted()
      for (i, start) in ordered.enumerated() {
        let end = i + 1 < ordered.count ? ordered[i + 1] - 1 : family.maxAddress
        result.append(IPRange(family: family, lower: start, upper: end))
      }
    }
    return result
  }
}
