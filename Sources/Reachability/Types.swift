import KubeModel

/// One end of a flow: a pod of the cluster, or a range of external addresses.
public enum Peer: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// An index into `Cluster.pods`.
  case pod(Int)
  /// External addresses (one of the engine's `externalRanges`, or a range inside one).
  case external(IPRange)

  /// Pods first (by index), then external ranges (by family and address).
  public static func < (lhs: Peer, rhs: Peer) -> Bool {
    switch (lhs, rhs) {
    case (.pod(let a), .pod(let b)): return a < b
    case (.pod, .external): return true
    case (.external, .pod): return false
    case (.external(let a), .external(let b)): return a < b
    }
  }

  public var description: String {
    switch self {
    case .pod(let i): "pod#\(i)"
    case .external(let r): r.description
    }
  }
}

/// A peer at class level: a pod equivalence class, or an index into `externalRanges`.
public enum ClassPeer: Hashable, Comparable, Sendable {
  /// An index of a pod class (see `ReachabilityEngine.podClass(_:)`).
  case podClass(Int)
  /// An index into `ReachabilityEngine.externalRanges`.
  case external(Int)

  public static func < (lhs: ClassPeer, rhs: ClassPeer) -> Bool {
    switch (lhs, rhs) {
    case (.podClass(let a), .podClass(let b)): return a < b
    case (.podClass, .external): return true
    case (.external, .podClass): return false
    case (.external(let a), .external(let b)): return a < b
    }
  }
}

/// Choices where upstream sources disagree (see SEMANTICS.md).
public struct EngineOptions: Hashable, Sendable {
  /// CNI reading: an `ipBlock` (and an admin policy's `networks`) also selects cluster pods
  /// whose IPs lie inside it. Default false, as netpol-analyzer: ipBlocks select external
  /// addresses only.
  public var ipBlockMatchesPodIPs: Bool
  /// The Istio mesh stage (on when the input has mesh objects, unless turned off).
  public var mesh: MeshOptions

  /// Options; the defaults follow netpol-analyzer, plus the mesh when the input has one.
  public init(ipBlockMatchesPodIPs: Bool = false, mesh: MeshOptions = .init()) {
    self.ipBlockMatchesPodIPs = ipBlockMatchesPodIPs
    self.mesh = mesh
  }
}

/// Sizes and timings of one engine.
public struct EngineStats: Hashable, Sendable {
  /// Pods in the cluster.
  public var pods: Int
  /// Pod equivalence classes.
  public var classes: Int
  /// NetworkPolicies, AdminNetworkPolicies and BaselineAdminNetworkPolicies.
  public var policies: Int
  /// Disjoint port ranges over all protocols.
  public var portAtoms: Int
  /// Disjoint external address ranges.
  public var ipRanges: Int
  /// Distinct ingress and egress rule profiles compiled.
  public var profiles: Int
  /// Wall time of `init`.
  public var compileSeconds: Double
  /// Time spent by the last `classConnections()` (0 before).
  public var evaluateSeconds: Double
}

/// The direction of a rule, seen from the pod the policy selects.
public enum Direction: String, Hashable, Sendable, CaseIterable {
  case ingress = "Ingress"
  case egress = "Egress"
}

extension Direction {
  /// Parses `ingress` or `egress` in any letter case (as the command line spells them).
  public init?(name: String) {
    switch name.lowercased() {
    case "ingress": self = .ingress
    case "egress": self = .egress
    default: return nil
    }
  }
}

/// The tier that decided a direction of a flow.
public enum Tier: String, Hashable, Comparable, Sendable {
  case adminNetworkPolicy = "AdminNetworkPolicy"
  case networkPolicy = "NetworkPolicy"
  case baselineAdminNetworkPolicy = "BaselineAdminNetworkPolicy"
  case systemDefault = "SystemDefault"

  private var rank: Int {
    switch self {
    case .adminNetworkPolicy: 0
    case .networkPolicy: 1
    case .baselineAdminNetworkPolicy: 2
    case .systemDefault: 3
    }
  }

  public static func < (lhs: Tier, rhs: Tier) -> Bool { lhs.rank < rhs.rank }
}

/// A reference to one rule of one policy, for explanations.
public struct RuleRef: Hashable, Comparable, Sendable {
  /// `NetworkPolicy`, `AdminNetworkPolicy` or `BaselineAdminNetworkPolicy`.
  public var kind: String
  /// `ns/name` for a NetworkPolicy, the name for admin policies.
  public var policy: String
  /// 0-based index of the rule in its direction's list (netpol-analyzer prints `#index+1`).
  public var ruleIndex: Int
  /// The rule's name (admin policies), empty for NetworkPolicy rules.
  public var ruleName: String
  /// The rule list it belongs to.
  public var direction: Direction
  /// `Allow`, `Deny` or `Pass` (NetworkPolicy rules always allow).
  public var action: AdminPolicyAction
  /// Where the rule is written.
  public var location: SourceLocation

  /// A reference to a rule.
  public init(
    kind: String, policy: String, ruleIndex: Int, ruleName: String, direction: Direction,
    action: AdminPolicyAction, location: SourceLocation
  ) {
    self.kind = kind
    self.policy = policy
    self.ruleIndex = ruleIndex
    self.ruleName = ruleName
    self.direction = direction
    self.action = action
    self.location = location
  }

  public static func < (lhs: RuleRef, rhs: RuleRef) -> Bool {
    (lhs.kind, lhs.policy, lhs.direction.rawValue, lhs.ruleIndex)
      < (rhs.kind, rhs.policy, rhs.direction.rawValue, rhs.ruleIndex)
  }
}

/// A policy that selects the pod of a direction, as named in explanations.
public struct PolicyRef: Hashable, Comparable, Sendable {
  /// `NetworkPolicy`, `AdminNetworkPolicy` or `BaselineAdminNetworkPolicy`.
  public var kind: String
  /// `ns/name` for a NetworkPolicy, the name for admin policies.
  public var policy: String
  /// Where the policy is written.
  public var location: SourceLocation

  /// A reference to a policy.
  public init(kind: String, policy: String, location: SourceLocation) {
    self.kind = kind
    self.policy = policy
    self.location = location
  }

  public static func < (lhs: PolicyRef, rhs: PolicyRef) -> Bool {
    (lhs.kind, lhs.policy) < (rhs.kind, rhs.policy)
  }
}
