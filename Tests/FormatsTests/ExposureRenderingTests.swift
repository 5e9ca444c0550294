import Analysis
import Formats
import KubeModel
import Reachability
import Testing

/// The exposure sections of each format, over a hand-built report.
@Suite struct ExposureRenderingTests {
  static let web = ReportPeer(
    kind: .workload(0), name: "ns/web[Deployment]", namespace: "ns", shortName: "web[Deployment]")
  static let db = ReportPeer(
    kind: .workload(1), name: "ns/db[StatefulSet]", namespace: "ns", shortName: "db[StatefulSet]")

  static func report() -> ConnectivityReport {
    var report = ConnectivityReport(
      rows: ConnectionRows([
        ConnectionRow(
          source: web, destination: db, connections: ConnectionSet([.tcp: [PortRange(5432, 5432)]]))
      ]),
      peers: [web, db], focusConnection: nil, warnings: [])
    report.exposure = ExposureReport(
      egress: [
        ExposureReport.Line(exposed: web, other: .entireCluster, connections: .all)
      ],
      ingress: [
        ExposureReport.Line(
          exposed: db,
          other: .representative(
            namespace: "namespace with {team=x}", isName: false, pod: "all pods"),
          connections: ConnectionSet([.tcp: [PortRange(5432, 5432)]])),
        ExposureReport.Line(
          exposed: web,
          other: .representative(namespace: "ns", isName: true, pod: "pod with {app=lb}"),
          connections: ConnectionSet([.tcp: [PortRange(80, 80)]])),
      ],
      unprotected: [ExposureReport.Unprotected(peer: web, direction: .egress)])
    return report
  }

  @Test func unresolvedPortNamesAndMeshPlaintextAreWordedByTheFormat() throws {
    var report = Self.report()
    report.exposure?.ingress = [
      ExposureReport.Line(
        exposed: Self.db, other: .representative(namespace: "ns", isName: true, pod: "all pods"),
        connections: ConnectionSet([.tcp: [PortRange(80, 80)], .udp: [PortRange(53, 53)]]),
        unresolvedPortNames: ["TCP": ["metrics", "http"], "": ["admin"]]),
      ExposureReport.Line(
        exposed: ReportPeer(kind: .pod(7), name: "ns/x[Pod]", namespace: "ns", shortName: "x[Pod]"),
        other: .entireCluster, connections: ConnectionSet([.udp: [PortRange(53, 53)]])),
    ]
    report.exposure?.meshPlaintext = [
      ExposureReport.Line(
        exposed: Self.db, other: .peer(Self.web), connections: ConnectionSet([.tcp: [PortRange(5432, 5432)]]),
        meshPlaintext: true)
    ]
    let text = String(decoding: try TextRenderer().render(report), as: UTF8.self)
    // The first column pads to the widest exposed name of the egress and ingress lines.
    #expect(text.contains("ns/db[StatefulSet] \t<= \tns/[all pods] :  admin,TCP 80,http,metrics,UDP 53\n"))
    #expect(text.contains("ns/x[Pod]          \t<= \tentire-cluster : UDP 53\n"))
    #expect(text.contains("ns/db[StatefulSet] \t<= \tns/web[Deployment] : TCP 5432 [plaintext]\n"))
    let json = String(decoding: try JSONRenderer().render(report), as: UTF8.self)
    #expect(json.contains("\"conn\": \"TCP 5432 [plaintext]\""))
  }

  static func text(_ renderer: some ReportRenderer) throws -> String {
    String(decoding: try renderer.render(report()), as: UTF8.self)
  }

  @Test func textAlignsPeersAndListsUnprotectedWorkloads() throws {
    let expected = """
      ns/web[Deployment] => ns/db[StatefulSet] : TCP 5432

      Exposure Analysis Result:
      Egress Exposure:
      ns/web[Deployment] \t=> \tentire-cluster : All Connections

      Ingress Exposure:
      ns/db[StatefulSet] \t<= \t[namespace with {team=x}]/[all pods] : TCP 5432
      ns/web[Deployment] \t<= \tns/[pod with {app=lb}] : TCP 80

      Workloads not protected by network policies:
      ns/web[Deployment] is not protected on Egress

      """
    #expect(try Self.text(TextRenderer()) == expected)
  }

  @Test func csvPutsTheExposedWorkloadFirstInBothSections() throws {
    let lines = try Self.text(CSVRenderer()).split(separator: "\n").map(String.init)
    #expect(
      lines == [
        "src,dst,conn", "ns/web[Deployment],ns/db[StatefulSet],TCP 5432",
        "Exposure Analysis Result:,,",
        "Egress Exposure:,,", "src,dst,conn", "ns/web[Deployment],entire-cluster,All Connections",
        "Ingress Exposure:,,", "dst,src,conn",
        "ns/db[StatefulSet],[namespace with {team=x}]/[all pods],TCP 5432",
        "ns/web[Deployment],ns/[pod with {app=lb}],TCP 80",
      ])
  }

  @Test func markdownHasOneTablePerSection() throws {
    let text = try Self.text(MarkdownRenderer())
    #expect(
      text.contains("## Exposure Analysis Result:\n### Egress Exposure:\n| src | dst | conn |\n"))
    #expect(
      text.contains("\n\n### Ingress Exposure:\n| dst | src | conn |\n|-----|-----|------|\n"))
  }

  @Test func jsonNestsConnlistAndExposureResults() throws {
    let text = try Self.text(JSONRenderer())
    #expect(
      text.hasPrefix("{\n  \"connlist_results\": [\n    {\n      \"src\": \"ns/web[Deployment]\""))
    #expect(text.contains("  \"exposure_results\": {\n    \"egress_exposure\": [\n      {\n"))
    #expect(
      text.contains("\"src\": \"ns/[pod with {app=lb}]\",\n        \"dst\": \"ns/web[Deployment]\"")
    )
  }

  @Test func dotDrawsRepresentativesInTheirNamespaceAndTheEntireCluster() throws {
    let text = try Self.text(DOTRenderer())
    #expect(
      text.contains(
        "\"entire-cluster\" [label=\"entire-cluster\" color=\"red2\" fontcolor=\"red2\" shape=diamond]"
      ))
    #expect(text.contains("\"pod with {app=lb}_in_ns\" [label=\"pod with {app=lb}\""))
    #expect(
      text.contains(
        "\"all pods_in_namespace with {team=x}\" -> \"ns/db[StatefulSet]\" [label=\"TCP 5432\""))
  }
}
