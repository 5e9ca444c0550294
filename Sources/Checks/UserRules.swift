import KubeModel
import Reachability

/// Evaluates the rules of a rules file against the engine: every verdict is the engine's.
struct UserRuleEvaluator {
  let ctx: CheckContext

  /// A workload and one of its pods per class, as a rule selected it.
  struct Member {
    var workload: Int
    var pods: [Int]
  }

  /// The input workloads a spec selects (nil for address specs).
  func members(_ spec: PeerSpec) -> [Member] {
    let nsLabels = ctx.input.namespaceLabelsByName()
    var out: [Member] = []
    for (w, workload) in ctx.input.workloads.enumerated() where !ctx.workloadClassPods[w].isEmpty {
      if let ns = spec.namespace, workload.namespace != ns { continue }
      if let name = spec.workload, workload.name != name { continue }
      if let labels = spec.namespaceLabels {
        let have = nsLabels[workload.namespace] ?? [namespaceNameLabel: workload.namespace]
        if !LabelSelector(matchLabels: labels).matches(have) { continue }
      }
      var pods = ctx.workloadClassPods[w]
      if let labels = spec.labels {
        let selector = LabelSelector(matchLabels: labels)
        pods = pods.filter { selector.matches(ctx.input.pods[$0].labels) }
        if pods.isEmpty { continue }
      }
      out.append(Member(workload: w, pods: pods))
    }
    return out
  }

  /// The engine's external ranges a spec covers (any overlap).
  func ranges(_ spec: PeerSpec) -> [IPRange] {
    let all = ctx.engine.externalRanges
    if let cidr = spec.cidr {
      let r = cidr.range
      return all.compactMap { e in
        guard e.family == r.family, e.lower <= r.upper, e.upper >= r.lower else { return nil }
        return IPRange(family: e.family, lower: max(e.lower, r.lower), upper: min(e.upper, r.upper))
      }
    }
    return all
  }

  func name(_ w: Int) -> String { shortName(ctx.input.workloads[w]) }

  func findings(_ rule: UserRule) -> [Finding] {
    let severity = rule.severity ?? .error
    func finding(_ message: String, object: ObjectRef, detail: String = "", at location: SourceLocation?) -> Finding {
      Finding(
        check: rule.checkID, severity: severity, message: "rule \(rule.name): \(message)", object: object,
        detail: detail,
        location: location ?? rule.location)
    }
    let ruleObject = ObjectRef(kind: "Rule", namespace: "", name: rule.name)
    switch rule.kind {
    case .isolated:
      let selected = members(rule.to)
      if selected.isEmpty { return [finding("selects no workload, nothing was checked", object: ruleObject, at: nil)] }
      var out: [Finding] = []
      for member in selected {
        let workload = ctx.input.workloads[member.workload]
        for direction in rule.directions
        where member.pods.contains(where: {
          ctx.engine.isolation(ofClass: ctx.engine.podClass($0), direction: direction).isUnprotected
        }) {
          out.append(
            finding(
              "\(name(member.workload)) must be isolated on \(direction.rawValue) but no policy selects it",
              object: CheckContext.object(workload), detail: direction.rawValue, at: workload.location))
        }
      }
      return out
    case .deny, .allow, .mtls:
      return flows(rule, finding: finding, ruleObject: ruleObject)
    }
  }

  /// One end of a flow: pods of a workload, or external ranges.
  enum End {
    case workload(Member)
    case addresses([IPRange], label: String)

    var peers: [Peer] {
      switch self {
      case .workload(let m): m.pods.map { Peer.pod($0) }
      case .addresses(let r, _): r.map { Peer.external($0) }
      }
    }
  }

  func flows(
    _ rule: UserRule, finding: (String, ObjectRef, String, SourceLocation?) -> Finding, ruleObject: ObjectRef
  ) -> [Finding] {
    func ends(_ spec: PeerSpec) -> [End] {
      spec.isAddresses
        ? [.addresses(ranges(spec), label: spec.cidr?.description ?? "external")] : members(spec).map { .workload($0) }
    }
    let sources = ends(rule.from)
    let destinations = ends(rule.to)
    let empty: (End) -> Bool = {
      if case .addresses(let r, _) = $0 { return r.isEmpty }
      return false
    }
    if sources.isEmpty || destinations.isEmpty || sources.contains(where: empty) || destinations.contains(where: empty)
    {
      return [finding("\(sources.isEmpty ? "from" : "to") selects nothing, nothing was checked", ruleObject, "", nil)]
    }
    let wanted = rule.ports ?? .all
    var out: [Finding] = []
    var memo: [[Int]: FlowVerdict] = [:]
    func verdict(_ s: Peer, _ d: Peer) -> FlowVerdict {
      var key: [Int] = []
      for p in [s, d] {
        switch p {
        case .pod(let i): key += [0, ctx.engine.podClass(i)]
        case .external(let r): key += [1, Int(truncatingIfNeeded: r.lower), Int(truncatingIfNeeded: r.upper)]
        }
      }
      if let hit = memo[key] { return hit }
      let v = FlowVerdict(ctx.engine, from: s, to: d)
      memo[key] = v
      return v
    }
    for src in sources {
      for dst in destinations {
        if case .workload(let a) = src, case .workload(let b) = dst, a.workload == b.workload { continue }
        let (srcName, dstName, object, dstLocation) = describe(src, dst)
        switch rule.kind {
        case .deny:
          var allowed = ConnectionSet.none
          var witness: (Peer, Peer)?
          for s in src.peers {
            for d in dst.peers {
              let got = verdict(s, d).possible.intersection(wanted)
              if !got.isEmpty {
                allowed = allowed.union(got)
                witness = witness ?? (s, d)
              }
            }
          }
          guard let (s, d) = witness else { continue }
          let direction: Direction = { if case .addresses = dst { return .egress } else { return .ingress } }()
          let why = decidingLocation(ctx.engine.explain(from: s, to: d), direction, allowed: true)
          out.append(
            finding(
              "\(srcName) => \(dstName) must be denied but \(portsText(allowed)) is allowed"
                + (why.map { " (\($0.0))" } ?? ""), object, "\(srcName) => \(dstName)", why?.1 ?? dstLocation))
        case .allow:
          var missing = ConnectionSet.none
          var witness: (Peer, Peer)?
          var meshWhy: String?
          for s in src.peers {
            for d in dst.peers {
              let v = verdict(s, d)
              let got = v.certain
              let lacking = rule.ports == nil ? (got.isEmpty ? ConnectionSet.all : .none) : wanted.subtracting(got)
              if !lacking.isEmpty {
                missing = missing.union(lacking)
                witness = witness ?? (s, d)
                if meshWhy == nil, !v.network.intersection(lacking).isEmpty { meshWhy = v.meshDenial }
              }
            }
          }
          guard let (s, d) = witness else { continue }
          if let meshWhy {
            let what = rule.ports == nil ? "no connection is allowed" : "\(portsText(missing)) is not allowed"
            out.append(
              finding(
                "\(srcName) => \(dstName) must be allowed but \(what) (the policies allow it, the mesh does not: \(meshWhy))",
                object, "\(srcName) => \(dstName)", dstLocation))
            continue
          }
          let direction: Direction = { if case .addresses = dst { return .egress } else { return .ingress } }()
          var why = decidingLocation(ctx.engine.explain(from: s, to: d), direction, allowed: false)
          if why == nil, case .workload = src {
            why = decidingLocation(ctx.engine.explain(from: s, to: d), .egress, allowed: false)
          }
          let what = rule.ports == nil ? "no connection is allowed" : "\(portsText(missing)) is not allowed"
          out.append(
            finding(
              "\(srcName) => \(dstName) must be allowed but \(what)" + (why.map { " (denied by \($0.0))" } ?? ""),
              object, "\(srcName) => \(dstName)", why?.1 ?? dstLocation))
        case .mtls:
          var plain = ConnectionSet.none
          var how = Set<String>()
          var location: SourceLocation?
          for s in src.peers {
            for d in dst.peers {
              let v = verdict(s, d)
              let got = v.notMutualTLS.intersection(wanted)
              if !got.isEmpty {
                plain = plain.union(got)
                how.formUnion(v.transports)
                location = location ?? v.transportObject
              }
            }
          }
          if plain.isEmpty { continue }
          out.append(
            finding(
              "\(srcName) => \(dstName) must be mutual TLS but \(portsText(plain)) is allowed without it (\(how.sorted().joined(separator: ", ")))",
              object, "\(srcName) => \(dstName)", location ?? dstLocation))
        case .isolated:
          continue
        }
      }
    }
    return out
  }

  func describe(_ src: End, _ dst: End) -> (String, String, ObjectRef, SourceLocation?) {
    func label(_ end: End) -> String {
      switch end {
      case .workload(let m): return name(m.workload)
      case .addresses(_, let text): return text
      }
    }
    let anchor: Member? = {
      if case .workload(let m) = dst { return m }
      if case .workload(let m) = src { return m }
      return nil
    }()
    let workload = anchor.map { ctx.input.workloads[$0.workload] }
    let object = workload.map(CheckContext.object) ?? ObjectRef(kind: "External", namespace: "", name: label(dst))
    return (label(src), label(dst), object, workload?.location)
  }
}

/// The verdict of one flow for the rules: the L3/L4 tiers, then the mesh stage when the input
/// has a mesh (all from the engine).
struct FlowVerdict {
  /// What the L3/L4 tiers allow.
  var network: ConnectionSet
  /// Finally allowed; a `depends-on-L7` part does not count (for `allow`/`require`).
  var certain: ConnectionSet
  /// Possibly allowed; a `depends-on-L7` part counts (for `deny`).
  var possible: ConnectionSet
  /// Possibly allowed without mutual TLS (for `mtls`).
  var notMutualTLS: ConnectionSet
  /// How those connections travel: `plaintext`, or `no mesh` when neither side is in one.
  var transports: Set<String>
  /// The PeerAuthentication or DestinationRule behind a plaintext part, if one is named.
  var transportObject: SourceLocation?
  /// Why the mesh denies a part the tiers allow.
  var meshDenial: String?

  init(_ engine: ReachabilityEngine, from s: Peer, to d: Peer) {
    network = engine.connections(from: s, to: d)
    guard !network.isEmpty, let mesh = engine.meshVerdict(from: s, to: d, connections: network) else {
      certain = network
      possible = network
      notMutualTLS = network
      transports = network.isEmpty ? [] : ["no mesh in the input"]
      return
    }
    certain = .none
    possible = .none
    notMutualTLS = .none
    transports = []
    for part in mesh.parts {
      let passes = part.transport.passes && part.authorization != .denied
      if passes && part.authorization != .dependsOnL7 { certain = certain.union(part.connections) }
      if passes { possible = possible.union(part.connections) }
      if passes && part.transport != .mtls {
        notMutualTLS = notMutualTLS.union(part.connections)
        transports.insert(part.transport == .none ? "not mesh traffic" : part.transport.label)
        transportObject =
          transportObject ?? part.reasons.first { $0.part == "transport" && $0.object != nil }?.object?.location
      }
      if !passes || part.authorization == .dependsOnL7 {
        meshDenial =
          meshDenial ?? (part.authorization == .dependsOnL7 ? "depends on L7 attributes" : part.denialSummary)
      }
    }
  }
}
