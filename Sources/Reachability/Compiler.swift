import KubeModel

/// A named port as a rule names it: NetworkPolicy ports carry a protocol, admin policy
/// ports do not (nil: any protocol of the container port).
struct NameKey: Hashable, Sendable {
  var name: String
  var proto: TransportProtocol?
}

/// One rule, compiled: peers as a set over classes and external ranges, ports as atoms.
struct CompiledRule: Sendable {
  var peers: PeerSet
  /// Atoms of the numeric ports (every atom when the rule has no port restriction).
  var numeric: [UInt64]
  /// Named ports, resolved against the destination class.
  var names: [NameKey]
  var action: AdminPolicyAction
  var ref: RuleRef
  /// The rule lists ports (an admin rule with `ports`, a NetworkPolicy rule with `ports`).
  var restrictsPorts: Bool
}

/// A compiled policy: its subject as classes, its rules per direction.
struct CompiledPolicy: Sendable {
  var ref: PolicyRef
  var subject: [Int32]
  var ingress: [CompiledRule]
  var egress: [CompiledRule]
  var isolatesIngress: Bool
  var isolatesEgress: Bool

  func rules(_ d: Direction) -> [CompiledRule] { d == .ingress ? ingress : egress }
  func isolates(_ d: Direction) -> Bool { d == .ingress ? isolatesIngress : isolatesEgress }
}

/// The subject side of one direction for a set of classes that no rule can tell apart.
struct ProfileKey: Hashable {
  var anps: [Int32]
  var nps: [Int32]
  var banp: Bool
  /// Named-port signature of the subject (ingress only, else -1).
  var namedSignature: Int32
}

/// A part of the port space with the peers allowed on it.
struct Segment: Sendable {
  var atoms: [UInt64]
  var row: PeerSet
}

/// Everything computed once from a cluster.
struct Compiled: Sendable {
  var classOfPod: [Int32] = []
  var classMembers: [[Int32]] = []
  var classNamespace: [Int32] = []
  var externals: [IPRange] = []
  var atoms: [(proto: TransportProtocol, range: PortRange)] = []
  var atomWords = 1
  var nps: [CompiledPolicy] = []
  var anps: [CompiledPolicy] = []
  var banp: CompiledPolicy?
  /// For each compiled ANP, its index in `Cluster.adminNetworkPolicies`.
  var anpSource: [Int] = []
  /// Per class: named ports resolved to atoms.
  var classNamed: [[NameKey: [Int32]]] = []
  var classNamedSignature: [Int32] = []
  /// Named ports by signature id (id 0: none).
  var namedBySignature: [[NameKey: [Int32]]] = [[:]]
  /// Per name key and atom: the classes that resolve that name inside the atom.
  var namedClassesAt: [NameKey: [Int32: PeerSet]] = [:]
  /// Per direction: per class, the profile index; profiles' segments.
  var ingressProfileOf: [Int32] = []
  var egressProfileOf: [Int32] = []
  var ingressProfiles: [ProfileKey] = []
  var egressProfiles: [ProfileKey] = []
  var ingressSegments: [[Segment]] = []
  var egressSegments: [[Segment]] = []
  /// Per direction and profile: per atom, its cell (atoms of one cell are treated alike by
  /// every rule of the profile, so one atom explains them all).
  var ingressCells: [[Int32]] = []
  var egressCells: [[Int32]] = []

  var classCount: Int { classMembers.count }
  var universe: Int { classMembers.count + externals.count }
}

/// Builds `Compiled` from a cluster.
struct Compiler {
  let cluster: Cluster
  let options: EngineOptions
  var c = Compiled()
  var nsIndex: [String: Int] = [:]
  var nsLabels: [[String: String]] = []
  var nsClasses: [[Int32]] = []
  var nsSelectorCache: [LabelSelector: [Int]] = [:]
  var peerCache: [PeerCacheKey: PeerSet] = [:]
  var classIPAtoms: [[Int32]] = []
  /// Per pod: its interned mesh key when the mesh stage is on (else empty).
  var meshKeys: [Int32] = []
  let meshEnabled: Bool

  struct PeerCacheKey: Hashable {
    var namespaces: LabelSelector?
    var ownNamespace: Int
    var pods: LabelSelector?
  }

  init(cluster: Cluster, options: EngineOptions) {
    self.cluster = cluster
    self.options = options
    self.meshEnabled = MeshMembership.isEnabled(in: cluster, options: options.mesh)
  }

  mutating func compile() -> Compiled {
    buildNamespaces()
    buildExternals()
    buildClasses()
    buildAtoms()
    compilePolicies()
    buildProfiles()
    return c
  }

  // MARK: namespaces

  mutating func namespaceIndex(_ name: String) -> Int {
    if let i = nsIndex[name] { return i }
    let i = nsLabels.count
    nsIndex[name] = i
    nsLabels.append([namespaceNameLabel: name])
    nsClasses.append([])
    return i
  }

  mutating func buildNamespaces() {
    for ns in cluster.namespaces where nsIndex[ns.name] == nil {
      nsIndex[ns.name] = nsLabels.count
      var labels = ns.labels
      labels[namespaceNameLabel] = ns.name
      nsLabels.append(labels)
      nsClasses.append([])
    }
  }

  mutating func namespaces(matching selector: LabelSelector) -> [Int] {
    if let hit = nsSelectorCache[selector] { return hit }
    let out = nsLabels.indices.filter { selector.matches(nsLabels[$0]) }
    nsSelectorCache[selector] = out
    return out
  }

  // MARK: external ranges

  /// Every address block any policy names.
  var allBlocks: [IPRange] {
    var out: [IPRange] = []
    for np in cluster.networkPolicies {
      for rule in np.ingress + np.egress {
        for peer in rule.peers {
          if case .ipBlock(let block) = peer {
            out.append(block.cidr.range)
            out += block.except.map(\.range)
          }
        }
      }
    }
    for anp in cluster.adminNetworkPolicies + cluster.baselineAdminNetworkPolicies {
      for rule in anp.egress + anp.ingress {
        for peer in rule.peers {
          if case .networks(let list) = peer { out += list.map(\.range) }
        }
      }
    }
    if meshEnabled { out += MeshCompiler(cluster: cluster, options: options.mesh).namedBlocks }
    return out
  }

  mutating func buildExternals() {
    let blocks = allBlocks
    var families: [IPFamily] = [.v4]
    if blocks.contains(where: { $0.family == .v6 }) { families.append(.v6) }
    for family in families {
      var cuts = Set<UInt128>([0])
      for b in blocks where b.family == family {
        cuts.insert(b.lower)
        if b.upper < family.maxAddress { cuts.insert(b.upper + 1) }
      }
      let sorted = cuts.sorted()
      for (i, lower) in sorted.enumerated() {
        let upper = i + 1 < sorted.count ? sorted[i + 1] - 1 : family.maxAddress
        c.externals.append(IPRange(family: family, lower: lower, upper: upper))
      }
    }
  }

  func externalIndex(of address: IPAddress) -> Int? {
    var lo = 0
    var hi = c.externals.count - 1
    while lo <= hi {
      let mid = (lo + hi) / 2
      let r = c.externals[mid]
      if r.contains(address) { return mid }
      if (r.family, r.upper) < (address.family, address.value) {
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return nil
  }

  // MARK: classes

  struct ClassKey: Hashable {
    var namespace: Int
    var values: [String?]
    var named: [ContainerPort]
    var ipAtoms: [Int32]
    var mesh: Int32
  }

  /// Every label key a pod selector looks at.
  var podSelectorKeys: [String] {
    var keys = Set<String>()
    for np in cluster.networkPolicies {
      keys.formUnion(np.podSelector.keys)
      for rule in np.ingress + np.egress {
        for peer in rule.peers {
          if case .selector(let pods, _) = peer, let pods { keys.formUnion(pods.keys) }
        }
      }
    }
    for anp in cluster.adminNetworkPolicies + cluster.baselineAdminNetworkPolicies {
      if case .pods(_, let pods) = anp.subject { keys.formUnion(pods.keys) }
      for rule in anp.ingress + anp.egress {
        for peer in rule.peers {
          if case .pods(.pods(_, let pods)) = peer { keys.formUnion(pods.keys) }
        }
      }
    }
    return keys.sorted()
  }

  /// Every port name any rule uses.
  var usedPortNames: Set<String> {
    var names = Set<String>()
    for np in cluster.networkPolicies {
      for rule in np.ingress + np.egress {
        for port in rule.ports { if case .name(let n) = port.port { names.insert(n) } }
      }
    }
    for anp in cluster.adminNetworkPolicies + cluster.baselineAdminNetworkPolicies {
      for rule in anp.ingress + anp.egress {
        for port in rule.ports ?? [] { if case .named(let n) = port { names.insert(n) } }
      }
    }
    return names
  }

  mutating func buildClasses() {
    let keys = podSelectorKeys
    let names = usedPortNames
    var classOf: [ClassKey: Int32] = [:]
    c.classOfPod.reserveCapacity(cluster.pods.count)
    if meshEnabled { meshKeys = MeshCompiler(cluster: cluster, options: options.mesh).podKeys() }
    for (pi, pod) in cluster.pods.enumerated() {
      let ns = namespaceIndex(pod.namespace)
      let named = names.isEmpty ? [] : pod.ports.filter { $0.name.map(names.contains) ?? false }
      var ipAtoms: [Int32] = []
      if options.ipBlockMatchesPodIPs {
        ipAtoms = Array(Set(pod.ips.compactMap { externalIndex(of: $0).map(Int32.init) })).sorted()
      }
      let key = ClassKey(
        namespace: ns, values: keys.map { pod.labels[$0] }, named: named, ipAtoms: ipAtoms,
        mesh: meshKeys.isEmpty ? 0 : meshKeys[pi])
      if let k = classOf[key] {
        c.classOfPod.append(k)
        c.classMembers[Int(k)].append(Int32(pi))
      } else {
        let k = Int32(c.classMembers.count)
        classOf[key] = k
        c.classOfPod.append(k)
        c.classMembers.append([Int32(pi)])
        c.classNamespace.append(Int32(ns))
        nsClasses[ns].append(k)
        classIPAtoms.append(ipAtoms)
      }
    }
  }

  func representative(_ cls: Int) -> Pod { cluster.pods[Int(c.classMembers[cls][0])] }

  // MARK: port atoms

  mutating func buildAtoms() {
    var cuts: [TransportProtocol: Set<Int>] = [:]
    for p in TransportProtocol.allCases { cuts[p] = [1] }
    func cut(_ p: TransportProtocol, _ lo: Int, _ hi: Int) {
      let lo = max(1, lo)
      let hi = min(65535, hi)
      guard lo <= hi else { return }
      cuts[p, default: []].insert(lo)
      if hi < 65535 { cuts[p, default: []].insert(hi + 1) }
    }
    for np in cluster.networkPolicies {
      for rule in np.ingress + np.egress {
        for port in rule.ports {
          if case .number(let n) = port.port { cut(port.protocol, n, port.endPort ?? n) }
        }
      }
    }
    for anp in cluster.adminNetworkPolicies + cluster.baselineAdminNetworkPolicies {
      for rule in anp.ingress + anp.egress {
        for port in rule.ports ?? [] {
          switch port {
          case .number(let p, let n): cut(p, n, n)
          case .range(let p, let a, let b): cut(p, a, b)
          case .named: break
          }
        }
      }
    }
    let names = usedPortNames
    if !names.isEmpty {
      for cls in 0..<c.classCount {
        for port in representative(cls).ports where port.name.map(names.contains) ?? false {
          cut(port.protocol, port.port, port.port)
        }
      }
    }
    for p in TransportProtocol.allCases {
      let sorted = (cuts[p] ?? [1]).sorted()
      for (i, lo) in sorted.enumerated() {
        let hi = i + 1 < sorted.count ? sorted[i + 1] - 1 : 65535
        c.atoms.append((p, PortRange(lo, hi)))
      }
    }
    c.atomWords = (c.atoms.count + 63) / 64
    // Named ports per class.
    var signatures: [[NameKey: [Int32]]: Int32] = [[:]: 0]
    for cls in 0..<c.classCount {
      var map: [NameKey: [Int32]] = [:]
      if !names.isEmpty {
        for port in representative(cls).ports {
          guard let name = port.name, names.contains(name), (1...65535).contains(port.port) else {
            continue
          }
          let a = Int32(atomIndex(port.protocol, port.port))
          map[NameKey(name: name, proto: port.protocol), default: []].append(a)
          map[NameKey(name: name, proto: nil), default: []].append(a)
        }
      }
      for (k, v) in map { map[k] = Array(Set(v)).sorted() }
      c.classNamed.append(map)
      if let s = signatures[map] {
        c.classNamedSignature.append(s)
      } else {
        let s = Int32(signatures.count)
        signatures[map] = s
        c.classNamedSignature.append(s)
        c.namedBySignature.append(map)
      }
    }
    var byKey: [NameKey: [Int32: [Int32]]] = [:]
    for cls in 0..<c.classCount {
      for (key, atoms) in c.classNamed[cls] {
        for a in atoms { byKey[key, default: [:]][a, default: []].append(Int32(cls)) }
      }
    }
    for (key, perAtom) in byKey {
      c.namedClassesAt[key] = perAtom.mapValues { PeerSet.make(sorted: $0, universe: c.universe) }
    }
  }

  /// The atom holding the port of the protocol.
  func atomIndex(_ p: TransportProtocol, _ port: Int) -> Int {
    var lo = 0
    var hi = c.atoms.count - 1
    while lo <= hi {
      let mid = (lo + hi) / 2
      let a = c.atoms[mid]
      if a.proto == p && a.range.contains(port) { return mid }
      if (a.proto.sortIndex, a.range.upper) < (p.sortIndex, port) {
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    preconditionFailure("\(p.rawValue) port \(port) lies in no port atom")
  }

  func atomBits(_ p: TransportProtocol, _ lo: Int, _ hi: Int, into w: inout [UInt64]) {
    guard lo <= hi, lo <= 65535, hi >= 1 else { return }
    let first = atomIndex(p, max(lo, 1))
    let last = atomIndex(p, min(hi, 65535))
    for a in first...last { AtomBits.set(&w, a) }
  }

  var allAtoms: [UInt64] {
    var w = [UInt64](repeating: 0, count: c.atomWords)
    for a in 0..<c.atoms.count { AtomBits.set(&w, a) }
    return w
  }

  // MARK: selectors

  /// Classes of the namespaces (given by selector, or the own namespace) whose pods match.
  mutating func classes(namespaces: LabelSelector?, own: Int, pods: LabelSelector?) -> PeerSet {
    let key = PeerCacheKey(
      namespaces: namespaces, ownNamespace: namespaces == nil ? own : -1, pods: pods)
    if let hit = peerCache[key] { return hit }
    let nsList = namespaces.map { self.namespaces(matching: $0) } ?? [own]
    var out: [Int32] = []
    for ns in nsList {
      for cls in nsClasses[ns]
      where pods.map({ $0.matches(representative(Int(cls)).labels) }) ?? true {
        out.append(cls)
      }
    }
    out.sort()
    let set = PeerSet.make(sorted: out, universe: c.universe)
    peerCache[key] = set
    return set
  }

  /// External ranges (and, under the CNI option, classes) inside one of `blocks` but not in any
  /// of `except`.
  func addresses(_ blocks: [IPRange], except: [IPRange]) -> PeerSet {
    var inside: [Int32] = []
    let base = c.classCount
    var extInside = Set<Int32>()
    for (i, r) in c.externals.enumerated()
    where blocks.contains(where: { $0.contains(r) }) && !except.contains(where: { $0.contains(r) }) {
      extInside.insert(Int32(i))
    }
    if options.ipBlockMatchesPodIPs {
      for cls in 0..<base where classIPAtoms[cls].contains(where: extInside.contains) {
        inside.append(Int32(cls))
      }
    }
    inside += extInside.sorted().map { $0 + Int32(base) }
    return PeerSet.make(sorted: inside, universe: c.universe)
  }

  func podSet(_ set: AdminPodSet) -> (LabelSelector, LabelSelector?) {
    switch set {
    case .namespaces(let ns): return (ns, nil)
    case .pods(let ns, let pods): return (ns, pods)
    }
  }

  // MARK: policies

  mutating func npPorts(_ ports: [NetworkPolicyPort]) -> ([UInt64], [NameKey]) {
    if ports.isEmpty { return (allAtoms, []) }
    var w = [UInt64](repeating: 0, count: c.atomWords)
    var names: [NameKey] = []
    for port in ports {
      switch port.port {
      case nil: atomBits(port.protocol, 1, 65535, into: &w)
      case .number(let n)?: atomBits(port.protocol, n, port.endPort ?? n, into: &w)
      case .name(let s)?: names.append(NameKey(name: s, proto: port.protocol))
      }
    }
    return (w, names)
  }

  mutating func adminPorts(_ ports: [AdminPolicyPort]?) -> ([UInt64], [NameKey]) {
    guard let ports else { return (allAtoms, []) }
    var w = [UInt64](repeating: 0, count: c.atomWords)
    var names: [NameKey] = []
    for port in ports {
      switch port {
      case .number(let p, let n): atomBits(p, n, n, into: &w)
      case .range(let p, let a, let b): atomBits(p, a, b, into: &w)
      case .named(let s): names.append(NameKey(name: s, proto: nil))
      }
    }
    return (w, names)
  }

  mutating func compilePolicies() {
    for np in cluster.networkPolicies {
      let own = namespaceIndex(np.namespace)
      let policyName = "\(np.namespace)/\(np.name)"
      let subject = classes(namespaces: nil, own: own, pods: np.podSelector)
      func rules(_ list: [NetworkPolicyRule], _ dir: Direction, _ self_: inout Compiler)
        -> [CompiledRule]
      {
        list.enumerated().map { (i, rule) in
          var sets: [PeerSet] = []
          if rule.peers.isEmpty { sets = [.all] }
          for peer in rule.peers {
            switch peer {
            case .selector(let pods, let namespaces):
              sets.append(self_.classes(namespaces: namespaces, own: own, pods: pods))
            case .ipBlock(let block):
              sets.append(self_.addresses([block.cidr.range], except: block.except.map(\.range)))
            }
          }
          let (numeric, names) = self_.npPorts(rule.ports)
          return CompiledRule(
            peers: PeerSet.union(sets, universe: self_.c.universe), numeric: numeric, names: names,
            action: .allow,
            ref: RuleRef(
              kind: "NetworkPolicy", policy: policyName, ruleIndex: i, ruleName: "", direction: dir,
              action: .allow, location: rule.location),
            restrictsPorts: !rule.ports.isEmpty)
        }
      }
      let ingress = np.isolatesIngress ? rules(np.ingress, .ingress, &self) : []
      let egress = np.isolatesEgress ? rules(np.egress, .egress, &self) : []
      c.nps.append(
        CompiledPolicy(
          ref: PolicyRef(kind: "NetworkPolicy", policy: policyName, location: np.location),
          subject: members(subject), ingress: ingress, egress: egress,
          isolatesIngress: np.isolatesIngress, isolatesEgress: np.isolatesEgress))
    }
    let ordered = cluster.adminNetworkPolicyOrder
    c.anpSource = ordered
    for i in ordered { c.anps.append(compileAdmin(cluster.adminNetworkPolicies[i])) }
    if let banp = cluster.baselineAdminNetworkPolicies.first { c.banp = compileAdmin(banp) }
  }

  func members(_ set: PeerSet) -> [Int32] {
    var out: [Int32] = []
    set.forEach(in: 0..<c.classCount) { out.append(Int32($0)) }
    return out
  }

  mutating func compileAdmin(_ anp: AdminNetworkPolicy) -> CompiledPolicy {
    let (subjNs, subjPods) = podSet(anp.subject)
    let subject = classes(namespaces: subjNs, own: -1, pods: subjPods)
    let kind = anp.kindName
    func rules(_ list: [AdminPolicyRule], _ dir: Direction, _ self_: inout Compiler)
      -> [CompiledRule]
    {
      list.enumerated().map { (i, rule) in
        var sets: [PeerSet] = []
        for peer in rule.peers {
          switch peer {
          case .pods(let ps):
            let (ns, pods) = self_.podSet(ps)
            sets.append(self_.classes(namespaces: ns, own: -1, pods: pods))
          case .networks(let cidrs):
            if dir == .egress { sets.append(self_.addresses(cidrs.map(\.range), except: [])) }
          case .nodes: break
          }
        }
        let (numeric, names) = self_.adminPorts(rule.ports)
        return CompiledRule(
          peers: PeerSet.union(sets, universe: self_.c.universe), numeric: numeric, names: names,
          action: rule.action,
          ref: RuleRef(
            kind: kind, policy: anp.name, ruleIndex: i, ruleName: rule.name, direction: dir,
            action: rule.action, location: rule.location),
          restrictsPorts: rule.ports != nil)
      }
    }
    return CompiledPolicy(
      ref: PolicyRef(kind: kind, policy: anp.name, location: anp.location),
      subject: members(subject), ingress: rules(anp.ingress, .ingress, &self),
      egress: rules(anp.egress, .egress, &self), isolatesIngress: false, isolatesEgress: false)
  }

  // MARK: profiles

  mutating func buildProfiles() {
    let n = c.classCount
    var anpOf = [[Int32]](repeating: [], count: n)
    for (i, p) in c.anps.enumerated() { for cls in p.subject { anpOf[Int(cls)].append(Int32(i)) } }
    var npIn = [[Int32]](repeating: [], count: n)
    var npEg = [[Int32]](repeating: [], count: n)
    for (i, p) in c.nps.enumerated() {
      for cls in p.subject {
        if p.isolatesIngress { npIn[Int(cls)].append(Int32(i)) }
        if p.isolatesEgress { npEg[Int(cls)].append(Int32(i)) }
      }
    }
    var banpOf = [Bool](repeating: false, count: n)
    if let b = c.banp { for cls in b.subject { banpOf[Int(cls)] = true } }
    for dir in Direction.allCases {
      var index: [ProfileKey: Int32] = [:]
      var profileOf: [Int32] = []
      var keys: [ProfileKey] = []
      profileOf.reserveCapacity(n)
      for cls in 0..<n {
        let anps = anpOf[cls].filter { !c.anps[Int($0)].rules(dir).isEmpty }
        let banp = banpOf[cls] && !(c.banp?.rules(dir).isEmpty ?? true)
        let key = ProfileKey(
          anps: anps, nps: dir == .ingress ? npIn[cls] : npEg[cls], banp: banp,
          namedSignature: dir == .ingress ? c.classNamedSignature[cls] : -1)
        if let k = index[key] {
          profileOf.append(k)
        } else {
          let k = Int32(keys.count)
          index[key] = k
          keys.append(key)
          profileOf.append(k)
        }
      }
      let evaluator = SegmentBuilder(c: c, direction: dir)
      let built = keys.map { evaluator.segments(for: $0) }
      let segments = built.map(\.segments)
      let cells = built.map(\.cells)
      if dir == .ingress {
        c.ingressProfileOf = profileOf
        c.ingressProfiles = keys
        c.ingressSegments = segments
        c.ingressCells = cells
      } else {
        c.egressProfileOf = profileOf
        c.egressProfiles = keys
        c.egressSegments = segments
        c.egressCells = cells
      }
    }
  }
}

extension TransportProtocol {
  /// The order of protocols in the atom table (`allCases` order).
  var sortIndex: Int {
    switch self {
    case .tcp: 0
    case .udp: 1
    case .sctp: 2
    }
  }
}

/// Computes the segments of one profile: the port space split where the profile's rules
/// change, each part with its allowed peers after the ANP, NP and BANP tiers.
struct SegmentBuilder {
  let c: Compiled
  let direction: Direction

  /// The ordered tiers of rules for a profile.
  func rules(_ key: ProfileKey) -> (anp: [CompiledRule], np: [CompiledRule], banp: [CompiledRule]) {
    let anp = key.anps.flatMap { c.anps[Int($0)].rules(direction) }
    let np = key.nps.flatMap { c.nps[Int($0)].rules(direction) }
    let banp = key.banp ? (c.banp?.rules(direction) ?? []) : []
    return (anp, np, banp)
  }

  /// The named ports of the subject (ingress), by key.
  func subjectNamed(_ key: ProfileKey) -> [NameKey: [Int32]] {
    guard direction == .ingress, key.namedSignature > 0 else { return [:] }
    return c.namedBySignature[Int(key.namedSignature)]
  }

  /// The peers a rule admits on atom `a` (before tiers), for this direction.
  func contribution(_ r: CompiledRule, atom a: Int, subjectNamed: [NameKey: [Int32]]) -> PeerSet {
    if AtomBits.test(r.numeric, a) { return r.peers }
    if r.names.isEmpty { return .empty }
    if direction == .ingress {
      for k in r.names where subjectNamed[k]?.contains(Int32(a)) ?? false { return r.peers }
      return .empty
    }
    var sets: [PeerSet] = []
    for k in r.names { if let s = c.namedClassesAt[k]?[Int32(a)] { sets.append(s) } }
    if sets.isEmpty { return .empty }
    return r.peers.intersection(PeerSet.union(sets, universe: c.universe), universe: c.universe)
  }

  func segments(for key: ProfileKey) -> (segments: [Segment], cells: [Int32]) {
    let (anp, np, banp) = rules(key)
    let isolated = !key.nps.isEmpty
    if anp.isEmpty && !isolated && banp.isEmpty {
      var all = [UInt64](repeating: 0, count: c.atomWords)
      for a in 0..<c.atoms.count { AtomBits.set(&all, a) }
      return ([Segment(atoms: all, row: .all)], [Int32](repeating: 0, count: c.atoms.count))
    }
    let named = subjectNamed(key)
    let all = anp + np + banp
    let ruleWords = (all.count + 63) / 64
    // Group atoms that every rule treats alike.
    var cells: [[UInt64]: [Int]] = [:]
    var order: [[UInt64]] = []
    var cellOf = [Int32](repeating: 0, count: c.atoms.count)
    var cellIndex: [[UInt64]: Int32] = [:]
    for a in 0..<c.atoms.count {
      var sig = [UInt64](repeating: 0, count: ruleWords + 1)
      var unique = false
      for (i, r) in all.enumerated() {
        if AtomBits.test(r.numeric, a) {
          AtomBits.set(&sig, i)
        } else if !r.names.isEmpty {
          if direction == .ingress {
            if r.names.contains(where: { named[$0]?.contains(Int32(a)) ?? false }) {
              AtomBits.set(&sig, i)
            }
          } else if r.names.contains(where: { c.namedClassesAt[$0]?[Int32(a)] != nil }) {
            unique = true
          }
        }
      }
      if unique { sig[ruleWords] = UInt64(a + 1) }
      if cells[sig] == nil {
        cellIndex[sig] = Int32(order.count)
        order.append(sig)
      }
      cells[sig, default: []].append(a)
      cellOf[a] = cellIndex[sig] ?? 0
    }
    var out: [Segment] = []
    for sig in order {
      guard let atoms = cells[sig], let rep = atoms.first else { continue }
      let row = self.row(anp: anp, np: np, banp: banp, isolated: isolated, atom: rep, named: named)
      if row.isEmpty { continue }
      var w = [UInt64](repeating: 0, count: c.atomWords)
      for a in atoms { AtomBits.set(&w, a) }
      out.append(Segment(atoms: w, row: row))
    }
    return (out, cellOf)
  }

  func row(
    anp: [CompiledRule], np: [CompiledRule], banp: [CompiledRule], isolated: Bool, atom: Int,
    named: [NameKey: [Int32]]
  ) -> PeerSet {
    let universe = c.universe
    let anpHits = anp.map { contribution($0, atom: atom, subjectNamed: named) }
    let npHits = isolated ? np.map { contribution($0, atom: atom, subjectNamed: named) } : []
    let banpHits = isolated ? [] : banp.map { contribution($0, atom: atom, subjectNamed: named) }
    if anpHits.allSatisfy(\.isEmpty) && banpHits.allSatisfy(\.isEmpty) {
      return isolated ? PeerSet.union(npHits, universe: universe) : .all
    }
    let words = (universe + 63) / 64
    var mask = [UInt64](repeating: ~0, count: words)
    if universe % 64 != 0 { mask[words - 1] = (1 << UInt64(universe % 64)) - 1 }
    func bits(_ set: PeerSet) -> PeerBits {
      if set.isEmpty { return .nothing }
      var w = [UInt64](repeating: 0, count: words)
      set.write(into: &w)
      for i in 0..<words { w[i] &= mask[i] }
      return PeerBits(words: w)
    }
    let outcome = TierWalk.walk(
      everything: PeerBits(words: mask),
      admin: zip(anp, anpHits).map { ($0.action, bits($1)) },
      networkPolicies: isolated ? npHits.map(bits) : nil,
      baseline: zip(banp, banpHits).map { ($0.action, bits($1)) })
    var allowed = outcome.allowed.words
    if allowed.isEmpty { return .empty }
    for i in 0..<words { allowed[i] &= mask[i] }
    return PeerSet.make(words: allowed, universe: universe)
  }
}
