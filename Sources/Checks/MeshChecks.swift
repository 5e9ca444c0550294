import KubeModel
import Reachability

/// Mesh outcomes of every allowed class pair between input workloads, read from the engine's
/// mesh stage (nothing when the input has no mesh).
struct MeshFlows {
  /// One destination workload's findings of one kind: ports, source workloads, a located object.
  struct Entry {
    var ports = ConnectionSet.none
    var sources = Set<Int>()
    var location: SourceLocation?
    var reason: String?
  }

  /// Per destination workload, the parts a predicate picks.
  static func collect(_ ctx: CheckContext, _ pick: (MeshPart, MeshDataplane, MeshDataplane) -> Bool) -> [Int: Entry] {
    // Without a mesh in the input the engine has no mesh stage: nothing to collect.
    guard ctx.engine.meshVerdict(from: .podClass(0), to: .podClass(0), connections: .none) != nil else { return [:] }
    var workloadsOfClass: [Int: [Int]] = [:]
    for (w, classes) in ctx.workloadClasses.enumerated() {
      for cls in classes { workloadsOfClass[cls, default: []].append(w) }
    }
    var dataplane: [Int: MeshDataplane] = [:]
    func plane(_ cls: Int) -> MeshDataplane {
      if let hit = dataplane[cls] { return hit }
      let p = ctx.engine.meshDataplane(ofPod: ctx.engine.pods(inClass: cls)[0])
      dataplane[cls] = p
      return p
    }
    var out: [Int: Entry] = [:]
    let table = ctx.table
    for i in 0..<table.count {
      guard case .podClass(let s) = table.source(i), case .podClass(let d) = table.destination(i),
        let sources = workloadsOfClass[s], let destinations = workloadsOfClass[d],
        let id = ctx.engine.meshVerdictID(
          from: .podClass(s), to: .podClass(d), connections: table.connections(i), setKey: table.connectionIndex(i)),
        let verdict = ctx.engine.meshVerdict(id: id)
      else { continue }
      for part in verdict.parts where pick(part, plane(s), plane(d)) {
        for w in destinations {
          let others = sources.filter { $0 != w }
          if others.isEmpty { continue }
          var entry = out[w] ?? Entry()
          entry.ports = entry.ports.union(part.connections)
          entry.sources.formUnion(others)
          if entry.location == nil, let object = part.reasons.first(where: { $0.object != nil })?.object {
            entry.location = object.location
            entry.reason = object.description
          }
          out[w] = entry
        }
      }
    }
    return out
  }

  static func sourceList(_ ctx: CheckContext, _ sources: Set<Int>) -> String {
    let names = sources.map { shortName(ctx.input.workloads[$0]) }.sorted()
    return names.prefix(3).joined(separator: ", ") + (names.count > 3 ? " and \(names.count - 3) more" : "")
  }
}

/// A mesh server that clients outside the mesh reach in plaintext (PERMISSIVE or DISABLE).
struct MeshPlaintextCheck: ClusterCheck {
  static let id = "mesh-plaintext-from-outside"
  var descriptors: [CheckDescriptor] {
    [
      CheckDescriptor(
        id: Self.id, title: "Mesh workload reachable in plaintext from outside the mesh", defaultSeverity: .warning,
        help:
          "This workload is in the mesh, but its PeerAuthentication mode (PERMISSIVE, the default, or DISABLE) lets clients without a sidecar or ambient ztunnel in over plaintext, with no identity for AuthorizationPolicies to check. Move the clients into the mesh, then set the mode to STRICT."
      )
    ]
  }

  func findings(in ctx: CheckContext) -> [Finding] {
    let entries = MeshFlows.collect(ctx) { part, source, destination in
      part.allowed && part.transport == .plaintext && source == .none && destination != .none
    }
    return entries.map { w, entry in
      let workload = ctx.input.workloads[w]
      return Finding(
        check: Self.id, severity: .warning,
        message:
          "\(shortName(workload)) is in the mesh but accepts plaintext on \(portsText(entry.ports)) from clients outside it (\(MeshFlows.sourceList(ctx, entry.sources)))"
          + (entry.reason.map { ", as \($0) allows" } ?? ""),
        object: CheckContext.object(workload), location: entry.location ?? workload.location)
    }
  }
}

/// Flows the policies allow but the mesh transport refuses (plaintext into STRICT, mTLS to a
/// server that cannot take it).
struct MeshTransportRejectsCheck: ClusterCheck {
  static let id = "mesh-transport-rejects"
  var descriptors: [CheckDescriptor] {
    [
      CheckDescriptor(
        id: Self.id, title: "Allowed flow that the mesh transport refuses", defaultSeverity: .warning,
        help:
          "The NetworkPolicies allow these clients, but the connection fails in the mesh: plaintext into a STRICT server is reset, and ISTIO_MUTUAL towards a server without a sidecar (or DISABLE) fails. Put the clients into the mesh, relax the PeerAuthentication, fix the DestinationRule, or deny the flow in the policies so intent and outcome agree."
      )
    ]
  }

  func findings(in ctx: CheckContext) -> [Finding] {
    let entries = MeshFlows.collect(ctx) { part, _, _ in part.transport == .rejected || part.transport == .failed }
    return entries.map { w, entry in
      let workload = ctx.input.workloads[w]
      return Finding(
        check: Self.id, severity: .warning,
        message:
          "\(shortName(workload)): the policies allow \(MeshFlows.sourceList(ctx, entry.sources)) on \(portsText(entry.ports)) but the mesh transport refuses it"
          + (entry.reason.map { " (\($0))" } ?? ""),
        object: CheckContext.object(workload), location: entry.location ?? workload.location)
    }
  }
}

/// A workload that a STRICT PeerAuthentication means to protect (mesh-wide, its namespace's or
/// one selecting it) but that still accepts plaintext on some port: a narrower policy, a
/// port-level mode or a DISABLE overrides the intent.
struct MeshPlaintextIntoStrictCheck: ClusterCheck {
  static let id = "mesh-plaintext-into-strict"
  var descriptors: [CheckDescriptor] {
    [
      CheckDescriptor(
        id: Self.id, title: "Plaintext into a workload meant to be STRICT", defaultSeverity: .error,
        help:
          "A STRICT PeerAuthentication (mesh-wide, for the namespace, or selecting the workload) says this workload takes mutual TLS only, yet the mesh accepts plaintext on these ports: a narrower PeerAuthentication or a portLevelMtls entry overrides it. Remove the override, or move the plaintext clients into the mesh first."
      )
    ]
  }

  /// The STRICT PeerAuthentications whose scope covers a workload (the intent, not the verdict:
  /// which mode applies is the engine's mesh stage's business).
  static func strictIntent(_ ctx: CheckContext, _ workload: Workload) -> PeerAuthentication? {
    let root = ctx.engine.options.mesh.rootNamespace
    return ctx.input.peerAuthentications.filter { pa in
      guard pa.mode == .strict else { return false }
      if let selector = pa.selector {
        return pa.namespace == workload.namespace && LabelSelector(matchLabels: selector).matches(workload.podLabels)
      }
      return pa.namespace == workload.namespace || pa.namespace == root
    }.min { $0.location < $1.location }
  }

  func findings(in ctx: CheckContext) -> [Finding] {
    guard ctx.input.peerAuthentications.contains(where: { $0.mode == .strict }) else { return [] }
    // Only servers in the mesh: a PeerAuthentication means nothing to a pod without a proxy.
    let entries = MeshFlows.collect(ctx) { part, _, destination in
      part.allowed && part.transport == .plaintext && destination != .none
    }
    return entries.compactMap { w, entry in
      let workload = ctx.input.workloads[w]
      guard let intent = Self.strictIntent(ctx, workload) else { return nil }
      return Finding(
        check: Self.id, severity: .error,
        message:
          "\(shortName(workload)) is meant to take mutual TLS only (PeerAuthentication \(intent.namespace)/\(intent.name) is STRICT) but accepts plaintext on \(portsText(entry.ports)) from \(MeshFlows.sourceList(ctx, entry.sources))"
          + (entry.reason.map { " (\($0))" } ?? ""),
        object: CheckContext.object(workload), location: entry.location ?? intent.location)
    }
  }
}

/// An AuthorizationPolicy principal (`rules[].from[].source.principals`) that no client in the
/// mesh can present: no pod of the input runs as a matching service account, or every pod that
/// does has neither a sidecar nor ambient mode (membership as the engine's mesh stage has it), so
/// it connects without a mutual-TLS identity and the principal never matches it.
struct MeshPrincipalNeverMatchesCheck: ClusterCheck {
  static let id = "mesh-principal-never-matches"
  var descriptors: [CheckDescriptor] {
    [
      CheckDescriptor(
        id: Self.id, title: "AuthorizationPolicy principal no client in the mesh presents", defaultSeverity: .warning,
        help:
          "A principal is the mutual-TLS identity of a client (cluster.local/ns/<namespace>/sa/<service account>); only a client with a sidecar or in ambient mode presents one. This principal matches no service account of the input, or only pods outside the mesh, so the rule never matches: an ALLOW rule grants nothing (the clients are refused), a DENY rule denies nothing. Fix the principal, or put the clients into the mesh."
      )
    ]
  }

  func findings(in ctx: CheckContext) -> [Finding] {
    guard ctx.input.authorizationPolicies.contains(where: { ($0.rules ?? []).contains { !$0.from.isEmpty } })
    else { return [] }
    // Each identity of the input's pods, with its pods in and out of the mesh.
    struct Identity {
      var inMesh = 0
      var outside = Set<String>()
    }
    var identities: [String: Identity] = [:]
    for (i, pod) in ctx.input.pods.enumerated() {
      let principal = MeshMembership.principal(namespace: pod.namespace, serviceAccount: pod.serviceAccount)
      if ctx.engine.meshDataplane(ofPod: i) == .none {
        identities[principal, default: Identity()].outside.insert(shortName(ctx.input.workloads[pod.workload]))
      } else {
        identities[principal, default: Identity()].inMesh += 1
      }
    }
    let sortedIdentities = identities.keys.sorted()
    var out: [Finding] = []
    for policy in ctx.input.authorizationPolicies {
      var seen = Set<String>()
      for (r, rule) in (policy.rules ?? []).enumerated() {
        for source in rule.from {
          for principal in source.principals ?? [] where seen.insert(principal).inserted {
            let matching = sortedIdentities.filter { IstioPattern.matches(principal, $0) }
            guard !matching.contains(where: { identities[$0]!.inMesh > 0 }) else { continue }
            let why: String
            if matching.isEmpty {
              why = "no pod of the input runs as a matching service account"
            } else {
              let pods = Set(matching.flatMap { identities[$0]!.outside }).sorted()
              let names = pods.prefix(3).joined(separator: ", ") + (pods.count > 3 ? " and \(pods.count - 3) more" : "")
              why =
                "the pods running as \(matching.count == 1 ? matching[0] : "\(matching.count) matching service accounts") (workloads \(names)) have no sidecar and are not in ambient mode, so they present no identity"
            }
            out.append(
              Finding(
                check: Self.id, severity: .warning,
                message:
                  "AuthorizationPolicy \(policy.namespace)/\(policy.name) (\(policy.action.rawValue)) rule #\(r + 1): principal \"\(principal)\" can never match: \(why)",
                object: ObjectRef(kind: "AuthorizationPolicy", namespace: policy.namespace, name: policy.name),
                detail: "principal/\(principal)", location: policy.location))
          }
        }
      }
    }
    return out
  }
}
