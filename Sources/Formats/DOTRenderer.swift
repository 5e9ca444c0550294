import Analysis
import KubeModel

/// A Graphviz digraph with one cluster per namespace, as netpol-analyzer's dot format.
public struct DOTRenderer: ReportRenderer {
  public init() {}

  public func render(_ report: ConnectivityReport) -> [UInt8] {
    Array(dot(report).utf8)
  }

  public func render(_ diff: DiffReport) -> [UInt8] {
    diff.rows.isEmpty ? [] : Array(dot(diff).utf8)
  }

  /// The DOT text of a connectivity report.
  public func dot(_ report: ConnectivityReport) -> String {
    let peers = report.peers + report.rows.flatMap { [$0.source, $0.destination] }
    var lines = nodeLines(peers) { $0.isExternal ? "red2" : "blue" }
    for row in report.rows {
      let label = report.focusConnection.map(\.description) ?? row.connectionsText
      lines.append(edge(row.source, row.destination, label: label, color: "gold2", fontColor: "darkgreen"))
    }
    if let exposure = report.exposure { lines += ExposureRendering.dotLines(report, exposure) }
    return "digraph {\n" + lines.joined(separator: "\n") + "\n}"
  }

  /// The DOT text of a diff, with the legend netpol-analyzer draws.
  public func dot(_ diff: DiffReport) -> String {
    let peers =
      diff.peers + diff.rows.flatMap { [$0.source, $0.destination] }
      + diff.unchanged.flatMap { [$0.source, $0.destination] }
    var lines = nodeLines(peers) { peer in
      if diff.addedPeers.contains(peer.name) { return "#008000" }
      if diff.removedPeers.contains(peer.name) { return "red" }
      return "blue"
    }
    var edges: [(String, String, String)] = []
    for row in diff.unchanged {
      edges.append((row.source.name + "\u{0}" + row.destination.name, row.connections.description, "grey"))
    }
    for row in diff.rows {
      let key = row.source.name + "\u{0}" + row.destination.name
      switch row.kind {
      case .added: edges.append((key, row.afterText, "#008000"))
      case .removed: edges.append((key, row.beforeText, "red2"))
      case .changed: edges.append((key, "\(row.afterText) (ref1: \(row.beforeText))", "magenta"))
      }
    }
    for (key, label, color) in edges.sorted(by: { $0.0 < $1.0 }) {
      let ends = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
      lines.append(
        "\t\(Self.quote(ends[0])) -> \(Self.quote(ends[1])) [label=\(Self.quote(label)) color=\"\(color)\" fontcolor=\"\(color)\"]"
      )
    }
    lines.append(contentsOf: Self.legend)
    return "digraph {\n" + lines.joined(separator: "\n") + "\n}"
  }

  func nodeLines(_ peers: [ReportPeer], color: (ReportPeer) -> String) -> [String] {
    var unique: [String: ReportPeer] = [:]
    for peer in peers { unique[peer.name] = peer }
    var byNamespace: [String: [ReportPeer]] = [:]
    var loose: [ReportPeer] = []
    for peer in unique.values {
      if let ns = peer.namespace { byNamespace[ns, default: []].append(peer) } else { loose.append(peer) }
    }
    var lines: [String] = []
    for ns in byNamespace.keys.sorted() {
      lines.append("\tsubgraph \(Self.quote("cluster_\(ns)[namespace]")) {")
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
    for peer in loose.sorted() {
      let c = color(peer)
      lines.append("\t\(Self.quote(peer.name)) [label=\(Self.quote(peer.shortName)) color=\"\(c)\" fontcolor=\"\(c)\"]")
    }
    return lines
  }

  func edge(_ src: ReportPeer, _ dst: ReportPeer, label: String, color: String, fontColor: String) -> String {
    "\t\(Self.quote(src.name)) -> \(Self.quote(dst.name)) [label=\(Self.quote(label)) color=\"\(color)\" fontcolor=\"\(fontColor)\"]"
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
