import Analysis
import Formats
import KubeModel
import Reachability
import Testing

/// `render`'s graph: grouping, merging, fallbacks, focus, diff colours, escaping, mesh styles.
@Suite struct ClusterGraphTests {
  static func peer(_ ns: String, _ name: String, _ index: Int) -> ReportPeer {
    ReportPeer(
      kind: .workload(index), name: "\(ns)/\(name)[Deployment]", namespace: ns, shortName: "\(name)[Deployment]")
  }

  static func tcp(_ port: Int) -> ConnectionSet { ConnectionSet([.tcp: [PortRange(port, port)]]) }

  static func report(_ rows: [(ReportPeer, ReportPeer, ConnectionSet)], peers: [ReportPeer] = []) -> ConnectivityReport
  {
    let all = peers + rows.flatMap { [$0.0, $0.1] }
    var unique: [String: ReportPeer] = [:]
    for p in all { unique[p.name] = p }
    return ConnectivityReport(
      rows: ConnectionRows(
        rows.map { ConnectionRow(source: $0.0, destination: $0.1, connections: $0.2) }
          .sorted { ($0.source.name, $0.destination.name) < ($1.source.name, $1.destination.name) }),
      peers: unique.values.sorted(), focusConnection: nil, warnings: [])
  }

  static let a = peer("shop", "a", 0)
  static let b = peer("shop", "b", 1)
  static let c = peer("shop", "c", 2)

  @Test func identicalWorkloadsAreGrouped() {
    let graph = ClusterGraph(Self.report([(Self.a, Self.c, Self.tcp(80)), (Self.b, Self.c, Self.tcp(80))]))
    let group = graph.nodes.first { $0.kind == .workloadGroup }
    #expect(group?.lines.contains("a Deployment") == true && group?.lines.contains("b Deployment") == true)
    #expect(graph.edges.count == 1)
    #expect(graph.edges.first?.flows == 2)
    #expect(graph.edges.first?.to == Self.c.name)
    var options = ClusterGraphOptions()
    options.groupIdentical = false
    let ungrouped = ClusterGraph(
      Self.report([(Self.a, Self.c, Self.tcp(80)), (Self.b, Self.c, Self.tcp(80))]), options: options)
    #expect(ungrouped.nodes.count == 3 && ungrouped.edges.count == 2)
  }

  @Test func workloadsConnectedToEachOtherAlikeAreGrouped() {
    let all = [
      (Self.a, Self.b), (Self.b, Self.a), (Self.a, Self.c), (Self.c, Self.a), (Self.b, Self.c), (Self.c, Self.b),
    ]
    let graph = ClusterGraph(Self.report(all.map { ($0.0, $0.1, Self.tcp(80)) }))
    #expect(graph.nodes.count == 1 && graph.nodes.first?.kind == .workloadGroup)
    #expect(graph.edges.count == 1 && graph.edges.first.map { $0.from == $0.to && $0.flows == 6 } == true)
    // One direction with another label: no longer alike.
    let uneven = all.map { ($0.0, $0.1, $0.0 == Self.a && $0.1 == Self.b ? Self.tcp(81) : Self.tcp(80)) }
    let apart = ClusterGraph(Self.report(uneven))
    #expect(apart.nodes.count == 3 && !apart.nodes.contains { $0.kind == .workloadGroup })
  }

  @Test func differentConnectionsAreNotGrouped() {
    let graph = ClusterGraph(Self.report([(Self.a, Self.c, Self.tcp(80)), (Self.b, Self.c, Self.tcp(81))]))
    #expect(!graph.nodes.contains { $0.kind == .workloadGroup })
    #expect(graph.edges.map(\.label) == ["TCP 80", "TCP 81"])
  }

  @Test func namespaceLevelMergesParallelFlows() {
    let x = Self.peer("other", "x", 3)
    var options = ClusterGraphOptions()
    options.maxNodes = 2
    options.groupIdentical = false
    let graph = ClusterGraph(
      Self.report([(Self.a, x, Self.tcp(80)), (Self.b, x, Self.tcp(443)), (Self.a, Self.b, Self.tcp(1))]),
      options: options)
    #expect(graph.namespaceLevel)
    #expect(graph.title.contains("by namespace: 3 workloads in 2 namespaces"))
    #expect(graph.notes.contains { $0.contains("exceed the limits") })
    let edge = graph.edges.first { $0.from == "namespace:shop" && $0.to == "namespace:other" }
    #expect(edge?.label == "TCP 80,443 [2 flows]")
    #expect(graph.edges.contains { $0.from == "namespace:shop" && $0.to == "namespace:shop" })
  }

  @Test func mostConnectedNamespacesAreKept() {
    var rows: [(ReportPeer, ReportPeer, ConnectionSet)] = []
    // hub talks to n1..n4; n1 also to n2.
    let hub = Self.peer("hub", "h", 10)
    for i in 1...4 { rows.append((hub, Self.peer("n\(i)", "w", 10 + i), Self.tcp(80))) }
    rows.append((Self.peer("n1", "w", 11), Self.peer("n2", "w", 12), Self.tcp(80)))
    var options = ClusterGraphOptions()
    options.maxNodes = 3
    let graph = ClusterGraph(Self.report(rows), options: options)
    #expect(graph.namespaceLevel)
    #expect(Set(graph.nodes.map(\.id)) == ["namespace:hub", "namespace:n1", "namespace:n2"])
    #expect(graph.notes.contains("Showing the 3 most connected of 5 namespaces; 2 left out with their flows"))
  }

  @Test func focusKeepsFlowsWithAnEndThere() {
    let x = Self.peer("other", "x", 3)
    var options = ClusterGraphOptions()
    options.focusNamespaces = ["other"]
    let graph = ClusterGraph(Self.report([(Self.a, x, Self.tcp(80)), (Self.a, Self.b, Self.tcp(1))]), options: options)
    #expect(graph.edges.count == 1 && graph.edges[0].to == x.name)
    options = ClusterGraphOptions()
    options.focusWorkloads = ["shop/b"]
    let byWorkload = ClusterGraph(
      Self.report([(Self.a, x, Self.tcp(80)), (Self.a, Self.b, Self.tcp(1))]), options: options)
    #expect(byWorkload.edges.count == 1 && byWorkload.edges[0].to == Self.b.name)
  }

  @Test func diffColoursAndLegend() {
    let before = Self.report([(Self.a, Self.b, Self.tcp(80)), (Self.a, Self.c, Self.tcp(5432))])
    let d = Self.peer("shop", "d", 3)
    let after = Self.report([(Self.a, Self.b, Self.tcp(8080)), (d, Self.c, Self.tcp(5432))], peers: [Self.a])
    let graph = ClusterGraph(DiffReport(before: before, after: after))
    #expect(graph.isDiff)
    let changed = graph.edges.first { $0.from == Self.a.name && $0.to == Self.b.name }
    #expect(changed?.change == .changed && changed?.label == "TCP 8080 (was TCP 80)")
    #expect(graph.edges.first { $0.from == Self.a.name && $0.to == Self.c.name }?.change == .removed)
    #expect(graph.edges.first { $0.from == d.name }?.change == .added)
    #expect(graph.nodes.first { $0.id == d.name }?.change == .added)
    let dot = ClusterGraphRenderer().dot(graph)
    #expect(dot.contains("color=\"#cf222e\" fontcolor=\"#cf222e\" style=dashed"))
    #expect(dot.contains("color=\"#1a7f37\" fontcolor=\"#1a7f37\" style=solid"))
    for entry in [
      "added connection", "removed connection", "changed connection", "unchanged connection", "added workload",
    ] {
      #expect(dot.contains("label=\"\(entry)\""))
    }
  }

  @Test func labelsAreEscaped() throws {
    let odd = ReportPeer(
      kind: .workload(5), name: "ns/we\"ird\\N<b>[Deployment]", namespace: "ns", shortName: "we\"ird\\N<b>[Deployment]")
    let graph = ClusterGraph(Self.report([(odd, Self.a, Self.tcp(80))]))
    let dot = ClusterGraphRenderer().dot(graph)
    #expect(dot.contains("label=\"we\\\"ird\\\\N<b>\\nDeployment\""))
    #expect(!dot.contains("label=<"), "no HTML-like label")
    let svg = String(decoding: try ClusterGraphRenderer().render(graph, format: .svg), as: UTF8.self)
    #expect(svg.contains("we&quot;ird\\N&lt;b&gt;"))
    #expect(!svg.contains("<b>"))
  }

  @Test func meshStylesReachTheDrawing() {
    var graph = ClusterGraph(
      Self.report([(Self.a, Self.b, Self.tcp(80)), (Self.b, Self.c, Self.tcp(81)), (Self.c, Self.a, Self.tcp(82))]))
    graph.edges[0].mesh = .mtls
    graph.edges[1].mesh = .plaintext
    graph.edges[2].mesh = .rejected
    let lines = ClusterGraphRenderer().dot(graph).split(separator: "\n")
    #expect(lines.contains { $0.contains("TCP 80") && $0.contains("style=solid penwidth=1.6") })
    #expect(lines.contains { $0.contains("TCP 81") && $0.contains("style=dashed") })
    #expect(lines.contains { $0.contains("TCP 82") && $0.contains("color=\"#cf222e\"") })
    #expect(lines.contains { $0.contains("mesh: plaintext") })
  }

  @Test func pngIsDrawnAt144DPI() throws {
    let graph = ClusterGraph(Self.report([(Self.a, Self.b, Self.tcp(80))]))
    let png = try ClusterGraphRenderer().render(graph, format: .png)
    #expect(Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
    let pixels = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
    // SVG sizes are in points (1/72 inch): at 144 dpi the PNG is twice as wide.
    let svg = String(decoding: try ClusterGraphRenderer().render(graph, format: .svg), as: UTF8.self)
    let points = try #require(
      svg.firstRange(of: "width=\"").map { Double(svg[$0.upperBound...].prefix { $0.isNumber || $0 == "." }) ?? 0 })
    #expect(abs(Double(pixels) - points * 2) <= 4, "\(pixels) px for \(points) pt")
  }
}
