import Analysis
import Formats
import KubeModel
import Reachability
import Testing

/// How explain prints the mesh parts of a flow.
@Suite("Mesh in explain output")
struct MeshExplainRenderingTests {
  static func flow(_ authorization: MeshAuthorization, _ transport: MeshTransport = .mtls) -> FlowExplanation {
    let peer = ReportPeer(kind: .ingressController, name: "ns/a[Pod]", namespace: "ns", shortName: "a[Pod]")
    let conns = ConnectionSet([.tcp: [PortRange(80, 80)]])
    let open = DirectionVerdict(allowed: true, reasons: [])
    var flow = FlowExplanation(
      source: peer, destination: peer, transport: .tcp, port: 80,
      groups: [ExplainGroup(allowed: true, connections: conns, egress: open, ingress: open)])
    let ap = MeshObjectRef(
      kind: "AuthorizationPolicy", namespace: "ns", name: "p",
      location: SourceLocation(file: "m.yaml", line: 3, column: 1))
    flow.mesh = MeshVerdict(parts: [
      MeshPart(
        connections: conns, transport: transport, authorization: authorization,
        reasons: [MeshReason(part: "authorization", text: "ALLOW policy matches only if ...", object: ap)])
    ])
    return flow
  }

  @Test func dependsOnL7IsNeitherAllowedNorAGuess() {
    let text = FlowExplanationRenderer().text([Self.flow(.dependsOnL7)])
    #expect(text.contains("Verdict: not allowed for certain: depends on L7"))
    #expect(text.contains("Authorization: depends-on-L7"))
    #expect(text.contains("(AuthorizationPolicy ns/p) [m.yaml:3:1]"))
  }

  @Test func finalVerdictFollowsTheMesh() {
    #expect(Self.flow(.allowed).allowed)
    #expect(!Self.flow(.denied).allowed)
    #expect(!Self.flow(.notApplicable, .rejected).allowed)
    let json = FlowExplanationRenderer().json([Self.flow(.denied)])
    #expect(json.contains("\"allowed\": false") && json.contains("\"network\": \"allowed\""))
    #expect(json.contains("\"authorization\": \"denied\"") && json.contains("\"tier\": \"Mesh\""))
  }
}
