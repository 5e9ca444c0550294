import Analysis
import KubeModel
import Reachability

/// How an element of a diff graph changed between the two versions.
public enum GraphChange: String, Sendable, Hashable, CaseIterable {
  /// Not a diff graph.
  case none
  case added, removed, changed, unchanged
}

/// How the mesh carries a flow, for mesh edge styles: mTLS solid, plaintext dashed, rejected or
/// denied by the mesh red. Read from the rows' mesh verdicts (nil where the mesh does not touch
/// the flow); the DOT writer and the legend follow `ClusterGraph.Edge.mesh`.
public enum MeshEdgeStyle: String, Sendable, Hashable, CaseIterable {
  case mtls, plaintext, rejected

  /// The style of a mesh verdict: red when any part is refused (reset, failed, denied by an
  /// authorization policy), dashed when any part goes in plaintext, solid when all is mTLS.
  public init?(_ verdict: MeshVerdict?) {
    guard let verdict, !verdict.isUntouched else { return nil }
    if verdict.parts.contains(where: { !$0.allowed }) {
      self = .rejected
    } else if verdict.parts.contains(where: { $0.transport == .plaintext }) {
      self = .plaintext
    } else if verdict.parts.contains(where: { $0.transport == .mtls }) {
      self = .mtls
    } else {
      return nil
    }
  }

  /// The style of several flows drawn as one edge.
  static func merged(_ styles: [MeshEdgeStyle?]) -> MeshEdgeStyle? {
    if styles.contains(.rejected) { return .rejected }
    if styles.contains(.plaintext) { return .plaintext }
    return styles.allSatisfy { $0 == .mtls } && !styles.isEmpty ? .mtls : nil
  }
}

/// The graph `kubereach render` and `report` draw: namespaces as clusters, workloads (or groups
/// of workloads with identical connectivity) as nodes, one edge per ordered pair of nodes
/// labelled with the merged connection set. Falls back to namespaces as nodes when too big.
public struct ClusterGraph: Sendable {
  public enum NodeKind: String, Sendable, Hashable {
    case workload, workloadGroup, namespace, external, ingressController, entireCluster
  }

  public struct Node: Sendable, Hashable {
    /// A unique id (the peer's full name for workloads).
    public var id: String
    /// Label lines (escaped by the writer).
    public var lines: [String]
    public var kind: NodeKind
    /// The namespace cluster it is drawn in (workload level only).
    public var namespace: String?
    public var change: GraphChange
  }

  public struct Edge: Sendable, Hashable {
    public var from: String
    public var to: String
    public var label: String
    public var change: GraphChange
    public var mesh: MeshEdgeStyle?
    /// How many workload-level flows this edge stands for.
    public var flows: Int
  }

  public var title: String
  /// Lines under the title: fallbacks taken, what was left out.
  public var notes: [String]
  public var nodes: [Node]
  public var edges: [Edge]
  public var isDiff: Bool
  public var namespaceLevel: Bool
}

/// Size limits, focus and grouping for `ClusterGraph`.
public struct ClusterGraphOptions: Sendable {
  /// Above this many nodes (or `maxEdges` edges) the graph falls back to namespaces as nodes.
  public var maxNodes = 150
  public var maxEdges = 200
  /// Only flows with an end in one of these namespaces (empty: all).
  public var focusNamespaces: [String] = []
  /// Only flows with an end at one of these workloads, `name` or `namespace/name` (empty: all).
  public var focusWorkloads: [String] = []
  /// Draw workloads of one namespace with identical connectivity as one node.
  public var groupIdentical = true

  public init() {}
}

extension ClusterGraph {
  /// One flow between two endpoints before grouping and aggregation.
  struct Flow {
    var source: Endpoint
    var destination: Endpoint
    var after: ConnectionSet?
    var before: ConnectionSet?
    var text: String
    var change: GraphChange
    var mesh: MeshEdgeStyle? = nil
  }

  struct Endpoint: Hashable {
    var id: String
    var name: String
    var kind: NodeKind
    var namespace: String?
    var workloadKind: String?
    var change: GraphChange

    init(_ peer: ReportPeer, change: GraphChange = .none) {
      id = peer.name
      namespace = peer.namespace
      self.change = change
      switch peer.kind {
      case .workload, .pod:
        kind = .workload
        let short = peer.shortName
        if let open = short.lastIndex(of: "["), short.hasSuffix("]") {
          name = String(short[..<open])
          workloadKind = String(short[short.index(after: open)..<short.index(before: short.endIndex)])
        } else {
          name = short
        }
      case .external:
        kind = .external
        name = peer.shortName.hasSuffix("[External]") ? String(peer.shortName.dropLast(10)) : peer.shortName
      case .ingressController:
        kind = .ingressController
        name = "ingress controller"
      }
    }

    static let entireCluster = Endpoint(id: "entire-cluster", name: "entire cluster", kind: .entireCluster)

    init(id: String, name: String, kind: NodeKind, namespace: String? = nil, change: GraphChange = .none) {
      self.id = id
      self.name = name
      self.kind = kind
      self.namespace = namespace
      self.change = change
    }

    /// Whether a focus name (`namespace/name` or `name`) names this workload.
    func matches(_ focus: PeerName) -> Bool {
      guard kind == .workload, let namespace else { return false }
      return focus.names(namespace: namespace, name: name)
    }
  }

  /// The graph of a connectivity report (and its exposure to the entire cluster, when present).
  public init(_ report: ConnectivityReport, options: ClusterGraphOptions = .init()) {
    var flows: [Flow] = []
    flows.reserveCapacity(report.rows.count)
    for row in report.rows {
      flows.append(
        Flow(
          source: Endpoint(row.source), destination: Endpoint(row.destination), after: row.connections, before: nil,
          text: row.connectionsText, change: .none, mesh: MeshEdgeStyle(row.mesh)))
    }
    if let exposure = report.exposure {
      for (lines, ingress) in [(exposure.egress, false), (exposure.ingress, true)] {
        for line in lines where line.other == .entireCluster {
          let exposed = Endpoint(line.exposed)
          flows.append(
            Flow(
              source: ingress ? .entireCluster : exposed, destination: ingress ? exposed : .entireCluster,
              after: nil, before: nil, text: ExposureRendering.connections(line), change: .none))
        }
      }
    }
    let peers = report.peers.map { Endpoint($0) }
    self.init(flows: flows, peers: peers, isDiff: false, options: options)
  }

  /// The diff graph: added, removed, changed and unchanged flows and workloads.
  public init(_ diff: DiffReport, options: ClusterGraphOptions = .init()) {
    func endpoint(_ peer: ReportPeer) -> Endpoint {
      let change: GraphChange =
        diff.addedPeers.contains(peer.name)
        ? .added : diff.removedPeers.contains(peer.name) ? .removed : .unchanged
      return Endpoint(peer, change: change)
    }
    var flows: [Flow] = []
    for row in diff.unchanged {
      flows.append(
        Flow(
          source: endpoint(row.source), destination: endpoint(row.destination), after: row.connections,
          before: row.connections, text: row.connectionsText, change: .unchanged))
    }
    for row in diff.rows {
      let change: GraphChange =
        switch row.kind {
        case .added: .added
        case .removed: .removed
        case .changed: .changed
        }
      let text =
        switch row.kind {
        case .added: row.afterText
        case .removed: row.beforeText
        case .changed: "\(row.afterText) (was \(row.beforeText))"
        }
      flows.append(
        Flow(
          source: endpoint(row.source), destination: endpoint(row.destination), after: row.after, before: row.before,
          text: text, change: change))
    }
    self.init(flows: flows, peers: diff.peers.map(endpoint), isDiff: true, options: options)
  }

  init(flows allFlows: [Flow], peers allPeers: [Endpoint], isDiff: Bool, options: ClusterGraphOptions) {
    var flows = allFlows
    var peers = allPeers
    var notes: [String] = []
    let focused = !options.focusNamespaces.isEmpty || !options.focusWorkloads.isEmpty
    if focused {
      let namespaces = Set(options.focusNamespaces)
      let workloads = options.focusWorkloads.map(PeerName.init)
      func inFocus(_ e: Endpoint) -> Bool {
        (e.namespace.map(namespaces.contains) ?? false) || workloads.contains(where: e.matches)
      }
      flows = flows.filter { inFocus($0.source) || inFocus($0.destination) }
      peers = peers.filter(inFocus)
      var parts: [String] = []
      if !options.focusNamespaces.isEmpty {
        parts.append("namespace " + options.focusNamespaces.sorted().joined(separator: ", "))
      }
      if !options.focusWorkloads.isEmpty {
        parts.append("workload " + options.focusWorkloads.sorted().joined(separator: ", "))
      }
      notes.append("Focus: flows to or from " + parts.joined(separator: "; "))
    }
    var workloadLevel = Self.aggregate(flows, peers: peers, node: { $0 }, isDiff: isDiff)
    if options.groupIdentical {
      workloadLevel = Self.groupIdentical(workloadLevel, flows: flows, peers: peers, isDiff: isDiff)
    }
    let base = isDiff ? "Connectivity changes" : "Allowed connections"
    if workloadLevel.nodes.count <= options.maxNodes && workloadLevel.edges.count <= options.maxEdges {
      self.init(
        title: base, notes: notes, nodes: workloadLevel.nodes, edges: workloadLevel.edges, isDiff: isDiff,
        namespaceLevel: false)
      return
    }
    let workloads = Set(peers.filter { $0.kind == .workload }.map(\.id)).union(
      flows.flatMap { [$0.source, $0.destination] }.filter { $0.kind == .workload }.map(\.id)
    ).count
    let namespaces = Self.rankedNamespaces(flows, peers: peers)
    notes.append(
      "\(workloadLevel.nodes.count) nodes and \(workloadLevel.edges.count) edges exceed the limits "
        + "(\(options.maxNodes) nodes, \(options.maxEdges) edges): namespaces drawn as nodes, flows aggregated")
    var graph = Self.namespaceGraph(flows, peers: peers, isDiff: isDiff)
    if graph.nodes.count > options.maxNodes || graph.edges.count > options.maxEdges {
      // Keep the most connected namespaces that fit both limits (edges between kept nodes only).
      func cut(_ count: Int) -> (nodes: [Node], edges: [Edge]) {
        let kept = Set(namespaces.prefix(count).map { "namespace:" + $0 })
        let nodes = graph.nodes.filter { $0.kind != .namespace || kept.contains($0.id) }
        let ids = Set(nodes.map(\.id))
        let edges = graph.edges.filter { ids.contains($0.from) && ids.contains($0.to) }
        let linked = Set(edges.flatMap { [$0.from, $0.to] })
        return (nodes.filter { $0.kind == .namespace || linked.contains($0.id) }, edges)
      }
      var low = 1
      var high = min(namespaces.count, options.maxNodes)
      while low < high {
        let mid = (low + high + 1) / 2
        let trial = cut(mid)
        if trial.nodes.count <= options.maxNodes && trial.edges.count <= options.maxEdges {
          low = mid
        } else {
          high = mid - 1
        }
      }
      graph = cut(low)
      notes.append(
        "Showing the \(low) most connected of \(namespaces.count) namespaces; "
          + "\(namespaces.count - low) left out with their flows")
    }
    self.init(
      title: "\(base) by namespace: \(workloads) workloads in \(namespaces.count) namespaces", notes: notes,
      nodes: graph.nodes, edges: graph.edges, isDiff: isDiff, namespaceLevel: true)
  }

  /// Merges flows whose ends map to the same nodes into one edge each; nodes sorted by id.
  static func aggregate(
    _ flows: [Flow], peers: [Endpoint], node: (Endpoint) -> Endpoint?, isDiff: Bool
  ) -> (nodes: [Node], edges: [Edge]) {
    var nodes: [String: Node] = [:]
    func add(_ e: Endpoint) {
      if nodes[e.id] == nil { nodes[e.id] = Self.node(e) }
    }
    for peer in peers { if let n = node(peer) { add(n) } }
    struct Pair: Hashable {
      var from: String
      var to: String
    }
    var grouped: [Pair: [Flow]] = [:]
    for flow in flows {
      guard let s = node(flow.source), let d = node(flow.destination) else { continue }
      add(s)
      add(d)
      grouped[Pair(from: s.id, to: d.id), default: []].append(flow)
    }
    var edges: [Edge] = []
    edges.reserveCapacity(grouped.count)
    for (pair, members) in grouped {
      edges.append(merged(members, from: pair.from, to: pair.to, isDiff: isDiff))
    }
    edges.sort { ($0.from, $0.to) < ($1.from, $1.to) }
    return (nodes.values.sorted { $0.id < $1.id }, edges)
  }

  /// One edge for several flows: the union of their connections, and the change they share.
  static func merged(_ flows: [Flow], from: String, to: String, isDiff: Bool) -> Edge {
    let changes = Set(flows.map(\.change))
    let change: GraphChange = changes.count == 1 ? changes.first! : .changed
    var label: String
    if flows.count == 1 {
      label = flows[0].text
    } else if flows.allSatisfy({ $0.after != nil }) {
      let after = flows.reduce(ConnectionSet.none) { $0.union($1.after ?? ConnectionSet.none) }
      if change == .removed {
        label = flows.reduce(ConnectionSet.none) { $0.union($1.before ?? ConnectionSet.none) }.description
      } else if change == .changed {
        let before = flows.reduce(ConnectionSet.none) { $0.union($1.before ?? ConnectionSet.none) }
        label = before == after ? after.description : "\(after) (was \(before))"
      } else {
        label = after.description
      }
    } else {
      label = Set(flows.map(\.text)).sorted().joined(separator: "; ")
    }
    if flows.count > 1 { label += " [\(flows.count) flows]" }
    return Edge(
      from: from, to: to, label: label, change: isDiff ? change : .none, mesh: MeshEdgeStyle.merged(flows.map(\.mesh)),
      flows: flows.count)
  }

  static func node(_ e: Endpoint) -> Node {
    var lines = [e.name]
    if let kind = e.workloadKind { lines.append(kind) }
    return Node(id: e.id, lines: lines, kind: e.kind, namespace: e.namespace, change: e.change)
  }

  /// Workloads of one namespace with the same change and the same edges (same other ends, same
  /// labels; edges between them, if any, the same both ways) become one node listing their names.
  static func groupIdentical(
    _ graph: (nodes: [Node], edges: [Edge]), flows: [Flow], peers: [Endpoint], isDiff: Bool
  ) -> (nodes: [Node], edges: [Edge]) {
    // What links each node to each other node: the label of the edge out to it and of the edge in
    // from it (a loop has both under the node's own id).
    struct Links: Equatable {
      var out: String?
      var into: String?
    }
    var links: [String: [String: Links]] = [:]
    for edge in graph.edges {
      let key = edge.label + "\u{0}" + (edge.mesh?.rawValue ?? "")
      links[edge.from, default: [:]][edge.to, default: Links()].out = key
      links[edge.to, default: [:]][edge.from, default: Links()].into = key
    }
    // Twins: the same links to every other node, and between the two either nothing or one label
    // both ways (the group's loop, the same within a group). With the inner label fixed per group
    // this is an equivalence, so comparing with the group's first member suffices.
    func twins(_ a: String, _ b: String, inner: Links?) -> Bool {
      let la = links[a] ?? [:]
      let lb = links[b] ?? [:]
      guard la[b] == inner, lb[a] == inner, la[a] == lb[b] else { return false }
      if let inner, inner.out != inner.into { return false }
      if let loop = la[a], let inner, loop != inner { return false }
      for (other, link) in la where other != a && other != b {
        if lb[other] != link { return false }
      }
      return true
    }
    var buckets: [String: [Node]] = [:]
    for node in graph.nodes where node.kind == .workload {
      let degree = (links[node.id] ?? [:]).keys.filter { $0 != node.id }.count
      buckets[(node.namespace ?? "") + "\u{1}" + node.change.rawValue + "\u{1}\(degree)", default: []].append(node)
    }
    var groupOf: [String: String] = [:]
    var groupNodes: [Node] = []
    for bucket in buckets.values where bucket.count > 1 {
      var remaining = bucket.sorted { $0.id < $1.id }
      while remaining.count > 1 {
        let first = remaining.removeFirst()
        var members = [first]
        var inner: Links?? = .none
        var rest: [Node] = []
        for candidate in remaining {
          let link = links[first.id]?[candidate.id]
          if let fixed = inner, fixed != link {
            rest.append(candidate)
          } else if twins(first.id, candidate.id, inner: link) {
            members.append(candidate)
            inner = .some(link)
          } else {
            rest.append(candidate)
          }
        }
        remaining = rest
        guard members.count > 1 else { continue }
        let id = "group:" + first.id
        for member in members { groupOf[member.id] = id }
        let names = members.map { $0.lines.joined(separator: " ") }
        var lines = ["\(members.count) workloads with the same connections"]
        lines += names.prefix(8)
        if names.count > 8 { lines.append("and \(names.count - 8) more") }
        groupNodes.append(
          Node(id: id, lines: lines, kind: .workloadGroup, namespace: first.namespace, change: first.change))
      }
    }
    if groupOf.isEmpty { return graph }
    var edges: [String: Edge] = [:]
    for edge in graph.edges {
      let from = groupOf[edge.from] ?? edge.from
      let to = groupOf[edge.to] ?? edge.to
      let key = from + "\u{0}" + to
      if var existing = edges[key] {
        existing.flows += edge.flows
        edges[key] = existing
      } else {
        var copy = edge
        copy.from = from
        copy.to = to
        edges[key] = copy
      }
    }
    let nodes = graph.nodes.filter { groupOf[$0.id] == nil } + groupNodes
    return (nodes.sorted { $0.id < $1.id }, edges.values.sorted { ($0.from, $0.to) < ($1.from, $1.to) })
  }

  /// Namespaces by the number of flows touching them, most first (then by name).
  static func rankedNamespaces(_ flows: [Flow], peers: [Endpoint]) -> [String] {
    var count: [String: Int] = [:]
    for peer in peers { if let ns = peer.namespace { count[ns, default: 0] += 0 } }
    for flow in flows {
      if let ns = flow.source.namespace { count[ns, default: 0] += 1 }
      if let ns = flow.destination.namespace, ns != flow.source.namespace { count[ns, default: 0] += 1 }
    }
    return count.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
  }

  /// Namespaces as nodes, external ranges as one node, flows aggregated.
  static func namespaceGraph(_ flows: [Flow], peers: [Endpoint], isDiff: Bool) -> (nodes: [Node], edges: [Edge]) {
    var workloadsIn: [String: Set<String>] = [:]
    for e in peers + flows.flatMap({ [$0.source, $0.destination] }) where e.kind == .workload {
      if let ns = e.namespace { workloadsIn[ns, default: []].insert(e.id) }
    }
    let externals = Set(flows.flatMap { [$0.source, $0.destination] }.filter { $0.kind == .external }.map(\.id))
    let external = Endpoint(
      id: "external",
      name: externals.count == 1
        ? externals.first!.replacingAll("[External]", with: "") : "external addresses (\(externals.count) ranges)",
      kind: .external)
    var namespaceNodes: [String: Endpoint] = [:]
    func map(_ e: Endpoint) -> Endpoint? {
      switch e.kind {
      case .workload, .workloadGroup, .namespace:
        guard let ns = e.namespace else { return nil }
        if let known = namespaceNodes[ns] { return known }
        var node = Endpoint(id: "namespace:" + ns, name: ns, kind: .namespace)
        node.workloadKind = "namespace, \(workloadsIn[ns]?.count ?? 0) workloads"
        namespaceNodes[ns] = node
        return node
      case .external: return external
      case .ingressController, .entireCluster: return e
      }
    }
    var graph = aggregate(flows, peers: peers, node: map, isDiff: isDiff)
    // Namespace nodes carry no change of their own.
    for i in graph.nodes.indices { graph.nodes[i].change = isDiff ? .unchanged : .none }
    return graph
  }
}
