import KubeModel

/// The external address ranges a report lists, split the way netpol-analyzer splits them:
/// sources by the blocks of ingress rules, destinations by the blocks of egress rules, each
/// family's whole space cut at every block boundary.
public struct ExternalRanges: Sendable {
  /// Ranges that appear as sources (cut at ingress ipBlocks).
  public var ingressSources: [IPRange]
  /// Ranges that appear as destinations (cut at egress ipBlocks and admin `networks`).
  public var egressDestinations: [IPRange]

  public init(cluster: Cluster) {
    var ingressBlocks: [IPRange] = []
    var egressBlocks: [IPRange] = []
    for policy in cluster.networkPolicies {
      for rule in policy.ingress { ingressBlocks += Self.blocks(of: rule) }
      for rule in policy.egress { egressBlocks += Self.blocks(of: rule) }
    }
    for policy in cluster.adminNetworkPolicies + cluster.baselineAdminNetworkPolicies {
      for rule in policy.egress {
        for case .networks(let cidrs) in rule.peers { egressBlocks += cidrs.map(\.range) }
      }
    }
    ingressSources = Self.split(ingressBlocks)
    egressDestinations = Self.split(egressBlocks)
  }

  static func blocks(of rule: NetworkPolicyRule) -> [IPRange] {
    rule.peers.flatMap { peer -> [IPRange] in
      guard case .ipBlock(let block) = peer else { return [] }
      return [block.cidr.range] + block.except.map(\.range)
    }
  }

  /// Cuts each family's whole space (IPv4 always, IPv6 when a block is IPv6) at every block
  /// boundary and returns the pieces in address order.
  public static func split(_ blocks: [IPRange]) -> [IPRange] {
    var result: [IPRange] = []
    var families: Set<IPFamily> = [.v4]
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
