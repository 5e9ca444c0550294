import Analysis
import KubeModel

/// A Graphviz digraph with one cluster per namespace, as netpol-analyzer's dot format.
public struct DOTRenderer: ReportRenderer {
  public init() {}

  public func render(_ report: ConnectivityReport, into sink: any OutputSink) {
    Self.write(lines(report), into: sink)
  }

  public func render(_ diff: DiffReport, into sink: any OutputSink) {
    if !diff.rows.isEmpty { Self.write(lines(diff), into: sink) }
  }

  /// The DOT text of a connectivity report.
  public func dot(_ report: ConnectivityReport) -> String { Self.graph(lines(report)) }

  /// The DOT text of a diff.
  public func dot(_ diff: DiffReport) -> String { Self.graph(lines(diff)) }

  /// The lines of a connectivity report's graph: namespace clusters, then (with exposure) the
  /// clusters of representative peers, then the other nodes and every edge, each sorted, as
  /// netpol-analyzer writes them. The edge lines are held (they are sorted as text), the
  /// joined document never is.
  func lines(_ report: ConnectivityReport) -> [String] {
    let peers = report.peers + report.rows.flatMap { [$0.source, $0.destination] }
    var (clusters, loose) = nodeLines(peers) { $0.isExternal ? "red2" : "blue" }
    var edges: [String] = []
    edges.reserveCapacity(report.rows.count)
    for row in report.rows {
      let label = report.focusConnection.map(\.description) ?? row.connectionsText
      edges.append(
        edge(row.source.name, row.destination.name, label: label, color: "gold2", fontColor: "darkgreen"))
    }
    if let exposure = report.exposure {
      let parts = ExposureRendering.dotParts(exposure)
      clusters += parts.clusters
      loose += parts.nodes
      edges += parts.edges
    }
    return clusters + Self.sorted(loose) + Self.sorted(edges)
  }

  /// The lines of a diff's graph, with netpol-analyzer's colours and legend.
  func lines(_ diff: DiffReport) -> [String] {
    let peers =
      diff.peers + diff.rows.flatMap { [$0.source, $0.destination] }
      + diff.unchanged.flatMap { [$0.source, $0.destination] }
    let (clusters, loose) = nodeLines(peers) { peer in
      if diff.addedPeers.contains(peer.name) { return "#008000" }
      if diff.removedPeers.contains(peer.name) { return "red" }
      return "blue"
    }
    var edges: [String] = []
    for row in diff.unchanged {
      edges.append(
        edge(row.source.name, row.destination.name, label: row.connections.description, color: "grey"))
    }
    for row in diff.rows {
      let (label, color) =
        switch row.kind {
        case .added: (row.afterText, "#008000")
        case .removed: (row.beforeText, "red2")
        case .changed: ("\(row.afterText) (ref1: \(row.beforeText))", "magenta")
        }
      edges.append(edge(row.source.name, row.destination.name, label: label, color: color))
    }
    return clusters + Self.sorted(loose) + Self.sorted(edges) + Self.legend
  }

  static func graph(_ lines: [String]) -> String {
    "digraph {\n" + lines.joined(separator: "\n") + "\n}"
  }

  /// `graph(lines)`, written line by line into a sink.
  static func write(_ lines: [String], into sink: any OutputSink) {
    var out = ByteWriter(into: sink)
    out.write("digraph {\n")
    for (index, line) in lines.enumerated() {
      if index > 0 { out.write("\n") }
      out.write(line)
    }
    out.write("\n}")
    out.flush()
  }

  /// Lines in byte order (Go's string order, which netpol-analyzer sorts with).
  static func sorted(_ lines: [String]) -> [String] {
    lines.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
  }

  /// The namespace clusters with their workloads, and the lines of peers outside namespaces.
  func nodeLines(_ peers: [ReportPeer], color: (ReportPeer) -> String) -> (clusters: [String], loose: [String]) {
    var unique: [String: ReportPeer] = [:]
    for peer in peers { unique[peer.name] = peer }
    var byNamespace: [String: [ReportPeer]] = [:]
    var looseLines: [String] = []
    for peer in unique.values {
      if let ns = peer.namespace {
        byNamespace[ns, default: []].append(peer)
      } else {
        let c = color(peer)
        looseLines.append(
          "\t\(Self.quote(peer.name)) [label=\(Self.quote(peer.shortName)) color=\"\(c)\" fontcolor=\"\(c)\"]")
      }
    }
    var lines: [String] = []
    for ns in byNamespace.keys.sorted() {
      lines.append("\tsubgraph \(Self.quote(Self.clusterID(ns))) {")
      lines.append("\t\tcolor=\"black\"")
      lines.append("\t\tfontcolor=\"black\"")
      for peer in (byNamespace[ns] ?? []).sorted() {
        let c = color(peer)
        lines.append(
          "\t\t\(Self.quote(peer.name)) [label=\(Self.quote(peer.shortName)) color=\"\(c)\" fontcolor=\"\(c)\"]")
      }
      lines.append("\t\tlabel=\(Self.quote("\(ns)[namespace]"))")
      lines.append("\t}")
    }
    return (lines, looseLines)
  }

  /// netpol-analyzer's cluster id of a namespace: `cluster_` and the name with `-` written `_`.
  static func clusterID(_ namespace: String) -> String {
    "cluster_" + namespace.replacingAll("-", with: "_") + "[namespace]"
  }

  /// netpol-analyzer's edge weight: 1 when the source name sorts after the destination name
  /// (byte order), 0.5 otherwise. Read off its golden files: every connectivity and diff edge
  /// of the corpus follows it.
  static func weight(_ source: String, _ destination: String) -> String {
    destination.utf8.lexicographicallyPrecedes(source.utf8) ? "1" : "0.5"
  }

  func edge(_ src: String, _ dst: String, label: String, color: String, fontColor: String? = nil) -> String {
    "\t\(Self.quote(src)) -> \(Self.quote(dst)) [label=\(Self.quote(label)) color=\"\(color)\" fontcolor=\"\(fontColor ?? color)\" weight=\(Self.weight(src, dst))]"
  }

  static func quote(_ text: String) -> String {
    "\"" + text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
  }

  static let legend: [String] = [
    "\tnodesep=0.5",
    "\tsubgraph cluster_legend {",
    "\t\tlabel=\"Legend\"",
    "\t\tfontsize = 10",
    "\t\tmargin=0",
    "\t\ta [style=invis height=0 width=0]",
    "\t\tb [style=invis height=0 width=0]",
    "\t\tc [style=invis height=0 width=0]",
    "\t\td [style=invis height=0 width=0]",
    "\t\te [style=invis height=0 width=0]",
    "\t\tf [style=invis height=0 width=0]",
    "\t\tg [style=invis height=0 width=0]",
    "\t\th [style=invis height=0 width=0]",
    "\t\t{rank=source a b c d}",
    "\t\t{rank=same e f g h}",
    "\t\ta -> b [label=\"added connection\", color=\"#008000\" fontcolor=\"#008000\" fontsize = 10 arrowsize=0.2]",
    "\t\tc -> d [label=\"removed connection\", color=\"red2\" fontcolor=\"red2\" fontsize = 10 arrowsize=0.2]",
    "\t\te -> f [label=\"changed connection\", color=\"magenta\" fontcolor=\"magenta\" fontsize = 10 arrowsize=0.2]",
    "\t\tg -> h [label=\"unchanged connection\", color=\"grey\" fontcolor=\"grey\" fontsize = 10 arrowsize=0.2]",
    "\t\tnp [label=\"new peer\" color=\"#008000\" fontcolor=\"#008000\" fontsize = 10]",
    "\t\tlp [label=\"lost peer\" color=\"red\" fontcolor=\"red\" fontsize = 10]",
    "\t\tpp [label=\"persistent peer\" color=\"blue\" fontcolor=\"blue\" fontsize = 10]",
    "\t\t{rank=sink np lp pp}",
    "\t\tnp->lp [style=invis]",
    "\t\tlp->pp [style=invis]",
    "\t}",
  ]
}
