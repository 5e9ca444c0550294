import KubeModel
import Reachability
import TestSupport
import Testing

/// One small case per rule of SEMANTICS.md section 1 (NetworkPolicy).
@Suite("SEMANTICS 1: NetworkPolicy")
struct NetworkPolicySemanticsTests {
  @Test("1.1 a pod selected by no policy is non-isolated")
  func nonIsolated() {
    var b = ClusterBuilder()
    let a = b.pod("a")
    let c = b.pod("c")
    let e = b.engine()
    #expect(e.connections(from: .pod(a), to: .pod(c)).isAll)
    #expect(e.connections(from: .pod(a), to: ext("8.8.8.8/32")).isAll)
  }

  @Test("1.2 policies are additive")
  func additive() {
    var b = ClusterBuilder()
    let a = b.pod("a", labels: ["app": "a"])
    let c = b.pod("c", labels: ["app": "c"])
    b.np("deny", select: sel(["app": "c"]), ingress: [])
    b.np(
      "allow80", select: sel(["app": "c"]),
      ingress: [rule([.selector(pods: sel(["app": "a"]), namespaces: nil)], ports: [tcp(80)])])
    b.np(
      "allow443", select: sel(["app": "c"]),
      ingress: [rule([.selector(pods: sel(["app": "a"]), namespaces: nil)], ports: [tcp(443)])])
    #expect(
      b.engine().connections(from: .pod(a), to: .pod(c)) == conns([.tcp: [80...80, 443...443]]))
  }

  @Test("1.3 policyTypes: egress isolation only when declared")
  func policyTypes() {
    var b = ClusterBuilder()
    let a = b.pod("a")
    let c = b.pod("c")
    b.np("ingress-only", ingress: [])
    let e = b.engine()
    #expect(e.connections(from: .pod(a), to: ext("1.2.3.4/32")).isAll)
    #expect(e.connections(from: .pod(a), to: .pod(c)).isEmpty)
    var b2 = ClusterBuilder()
    let a2 = b2.pod("a")
    b2.np("egress-only", egress: [])
    let e2 = b2.engine()
    #expect(e2.connections(from: .pod(a2), to: ext("1.2.3.4/32")).isEmpty)
    #expect(e2.connections(from: ext("1.2.3.4/32"), to: .pod(a2)).isAll)
  }

  @Test("1.4 empty ingress isolates; [{}] allows everything")
  func emptyVersusEmptyRule() {
    var b = ClusterBuilder()
    let a = b.pod("a", labels: ["app": "a"])
    let c = b.pod("c", labels: ["app": "c"])
    b.np("deny-c", select: sel(["app": "c"]), ingress: [])
    b.np("open-a", select: sel(["app": "a"]), ingress: [rule()])
    let e = b.engine()
    #expect(e.connections(from: .pod(a), to: .pod(c)).isEmpty)
    #expect(e.connections(from: .pod(c), to: .pod(a)).isAll)
    #expect(e.connections(from: ext("9.9.9.9/32"), to: .pod(a)).isAll)
  }

  @Test("1.5 a rule without peers admits every peer, without ports every port")
  func ruleWithoutPeersOrPorts() {
    var b = ClusterBuilder(namespaces: ["x": [:], "y": [:]])
    let a = b.pod("a", ns: "x")
    let c = b.pod("c", ns: "y")
    b.np("p", ns: "y", ingress: [rule(ports: [tcp(80)])])
    let e = b.engine()
    #expect(e.connections(from: .pod(a), to: .pod(c)) == conns([.tcp: [80...80]]))
    #expect(e.connections(from: ext("200.1.1.1/32"), to: .pod(c)) == conns([.tcp: [80...80]]))
  }

  @Test("1.6 a podSelector-only peer stays in the policy namespace")
  func podSelectorOwnNamespace() {
    var b = ClusterBuilder(namespaces: ["x": [:], "y": [:]])
    let inX = b.pod("a", ns: "x", labels: ["app": "a"])
    let inY = b.pod("a2", ns: "y", labels: ["app": "a"])
    let dst = b.pod("d", ns: "x")
    b.np("p", ns: "x", ingress: [rule([.selector(pods: sel(["app": "a"]), namespaces: nil)])])
    let e = b.engine()
    #expect(e.connections(from: .pod(inX), to: .pod(dst)).isAll)
    #expect(e.connections(from: .pod(inY), to: .pod(dst)).isEmpty)
  }

  @Test("1.7 a namespaceSelector-only peer selects all pods there; {} every namespace")
  func namespaceSelectorOnly() {
    var b = ClusterBuilder(namespaces: ["x": ["team": "t"], "y": [:], "z": [:]])
    let inX = b.pod("a", ns: "x")
    let inY = b.pod("b", ns: "y")
    let dst = b.pod("d", ns: "z")
    let dst2 = b.pod("d2", ns: "y", labels: ["role": "d2"])
    b.np("p", ns: "z", ingress: [rule([.selector(pods: nil, namespaces: sel(["team": "t"]))])])
    b.np(
      "q", ns: "y", select: sel(["role": "d2"]),
      ingress: [rule([.selector(pods: nil, namespaces: .everything)])])
    let e = b.engine()
    #expect(e.connections(from: .pod(inX), to: .pod(dst)).isAll)
    #expect(e.connections(from: .pod(inY), to: .pod(dst)).isEmpty)
    #expect(e.connections(from: .pod(dst), to: .pod(dst2)).isAll)
    #expect(e.connections(from: ext("1.1.1.1/32"), to: .pod(dst2)).isEmpty)
  }

  @Test("1.8 selectors in one peer are ANDed, separate peers ORed")
  func andVersusOr() {
    var b = ClusterBuilder(namespaces: ["x": ["team": "t"], "y": [:]])
    let xa = b.pod("xa", ns: "x", labels: ["app": "a"])
    let xb = b.pod("xb", ns: "x", labels: ["app": "b"])
    let ya = b.pod("ya", ns: "y", labels: ["app": "a"])
    let and = b.pod("and", ns: "y", labels: ["role": "and"])
    let or = b.pod("or", ns: "y", labels: ["role": "or"])
    b.np(
      "and", ns: "y", select: sel(["role": "and"]),
      ingress: [rule([.selector(pods: sel(["app": "a"]), namespaces: sel(["team": "t"]))])])
    b.np(
      "or", ns: "y", select: sel(["role": "or"]),
      ingress: [
        rule([
          .selector(pods: nil, namespaces: sel(["team": "t"])),
          .selector(pods: sel(["app": "a"]), namespaces: nil),
        ])
      ])
    let e = b.engine()
    #expect(e.connections(from: .pod(xa), to: .pod(and)).isAll)
    #expect(e.connections(from: .pod(xb), to: .pod(and)).isEmpty)
    #expect(e.connections(from: .pod(ya), to: .pod(and)).isEmpty)
    #expect(e.connections(from: .pod(xb), to: .pod(or)).isAll)
    #expect(e.connections(from: .pod(ya), to: .pod(or)).isAll)
  }

  @Test("1.9 matchLabels AND matchExpressions with In, NotIn, Exists, DoesNotExist")
  func matchExpressions() {
    var b = ClusterBuilder()
    let p1 = b.pod("p1", labels: ["app": "a", "env": "prod"])
    let p2 = b.pod("p2", labels: ["app": "a"])
    let p3 = b.pod("p3", labels: ["app": "b", "env": "dev"])
    let dIn = b.pod("in", labels: ["d": "in"])
    let dNotIn = b.pod("notin", labels: ["d": "notin"])
    let dExists = b.pod("exists", labels: ["d": "exists"])
    let dNot = b.pod("dne", labels: ["d": "dne"])
    func req(_ k: String, _ op: SelectorOperator, _ v: [String] = []) -> LabelSelector {
      LabelSelector(
        matchLabels: ["app": "a"],
        matchExpressions: [LabelRequirement(key: k, operator: op, values: v)])
    }
    b.np(
      "in", select: sel(["d": "in"]),
      ingress: [rule([.selector(pods: req("env", .in, ["prod"]), namespaces: nil)])])
    b.np(
      "notin", select: sel(["d": "notin"]),
      ingress: [rule([.selector(pods: req("env", .notIn, ["prod"]), namespaces: nil)])])
    b.np(
      "exists", select: sel(["d": "exists"]),
      ingress: [rule([.selector(pods: req("env", .exists), namespaces: nil)])])
    b.np(
      "dne", select: sel(["d": "dne"]),
      ingress: [rule([.selector(pods: req("env", .doesNotExist), namespaces: nil)])])
    let e = b.engine()
    func ok(_ s: Int, _ d: Int) -> Bool { e.connections(from: .pod(s), to: .pod(d)).isAll }
    #expect(ok(p1, dIn) && !ok(p2, dIn) && !ok(p3, dIn))
    #expect(!ok(p1, dNotIn) && ok(p2, dNotIn) && !ok(p3, dNotIn))
    #expect(ok(p1, dExists) && !ok(p2, dExists) && !ok(p3, dExists))
    #expect(!ok(p1, dNot) && ok(p2, dNot) && !ok(p3, dNot))
  }

  @Test("1.10 the implicit kubernetes.io/metadata.name namespace label")
  func metadataNameLabel() {
    var b = ClusterBuilder(namespaces: ["x": [:], "y": [:]])
    let a = b.pod("a", ns: "x")
    let c = b.pod("c", ns: "y")
    b.np(
      "p", ns: "y",
      ingress: [rule([.selector(pods: nil, namespaces: sel([namespaceNameLabel: "x"]))])])
    #expect(b.engine().connections(from: .pod(a), to: .pod(c)).isAll)
  }

  @Test("1.11 TCP, UDP and SCTP are distinct")
  func protocolsDistinct() {
    var b = ClusterBuilder()
    let a = b.pod("a")
    let c = b.pod("c", labels: ["app": "c"])
    b.np(
      "p", select: sel(["app": "c"]),
      ingress: [rule(ports: [NetworkPolicyPort(protocol: .udp, port: .number(53))])])
    let got = b.engine().connections(from: .pod(a), to: .pod(c))
    #expect(got == conns([.udp: [53...53]]))
    #expect(!got.contains(.tcp, 53) && !got.contains(.sctp, 53))
    #expect(got.description == "UDP 53")
  }

  @Test("1.12 named ports resolve per destination pod by name and protocol")
  func namedPorts() {
    var b = ClusterBuilder()
    let src = b.pod("src", labels: ["app": "src"])
    let web1 = b.pod(
      "web1", labels: ["app": "web"], ports: [ContainerPort(name: "http", port: 8080)])
    let web2 = b.pod("web2", labels: ["app": "web"], ports: [ContainerPort(name: "http", port: 80)])
    let udp = b.pod(
      "web3", labels: ["app": "web"], ports: [ContainerPort(name: "http", port: 80, protocol: .udp)]
    )
    let none = b.pod("web4", labels: ["app": "web"])
    b.np(
      "p", select: sel(["app": "web"]),
      ingress: [rule(ports: [NetworkPolicyPort(port: .name("http"))])])
    b.np(
      "eg", select: sel(["app": "src"]),
      egress: [rule(ports: [NetworkPolicyPort(port: .name("http"))])])
    let e = b.engine()
    #expect(e.connections(from: .pod(src), to: .pod(web1)) == conns([.tcp: [8080...8080]]))
    #expect(e.connections(from: .pod(src), to: .pod(web2)) == conns([.tcp: [80...80]]))
    #expect(e.connections(from: .pod(src), to: .pod(udp)).isEmpty)
    #expect(e.connections(from: .pod(src), to: .pod(none)).isEmpty)
    #expect(e.connections(from: ext("5.5.5.5/32"), to: .pod(none)).isEmpty)
    // Egress named ports toward external addresses match nothing (netpol-analyzer connlist).
    #expect(e.connections(from: .pod(src), to: ext("5.5.5.5/32")).isEmpty)
  }

  @Test("1.13 endPort makes an inclusive range")
  func endPort() {
    var b = ClusterBuilder()
    let a = b.pod("a")
    let c = b.pod("c", labels: ["app": "c"])
    b.np("p", select: sel(["app": "c"]), ingress: [rule(ports: [tcp(8000, 8100), tcp(9000)])])
    let got = b.engine().connections(from: .pod(a), to: .pod(c))
    #expect(got == conns([.tcp: [8000...8100, 9000...9000]]))
    #expect(got.description == "TCP 8000-8100,9000")
  }

  @Test("1.14 ipBlock except carves out; another rule may allow it back")
  func ipBlockExcept() throws {
    var b = ClusterBuilder()
    let a = b.pod("a")
    let cidr = try #require(CIDR("10.0.0.0/8"))
    let ex = try #require(CIDR("10.1.0.0/16"))
    let back = try #require(CIDR("10.1.2.0/24"))
    b.np(
      "p",
      ingress: [
        rule([.ipBlock(IPBlock(cidr: cidr, except: [ex]))]),
        rule([.ipBlock(IPBlock(cidr: back))], ports: [tcp(22)]),
      ])
    let e = b.engine()
    #expect(e.connections(from: ext("10.2.0.0/16"), to: .pod(a)).isAll)
    #expect(e.connections(from: ext("10.1.5.0/24"), to: .pod(a)).isEmpty)
    #expect(e.connections(from: ext("10.1.2.0/24"), to: .pod(a)) == conns([.tcp: [22...22]]))
    #expect(e.connections(from: ext("11.0.0.0/8"), to: .pod(a)).isEmpty)
    #expect(e.externalRanges.map(\.description).contains("10.1.2.0-10.1.2.255"))
  }

  @Test("1.16 ipBlock and pod IPs: both readings")
  func ipBlockPodIPs() throws {
    var b = ClusterBuilder()
    let inside = b.pod("in", labels: ["app": "x"], ips: ["10.0.0.5"])
    let outside = b.pod("out", labels: ["app": "x"], ips: ["192.168.0.5"])
    let dst = b.pod("dst", labels: ["app": "dst"])
    let cidr = try #require(CIDR("10.0.0.0/24"))
    b.np("p", select: sel(["app": "dst"]), ingress: [rule([.ipBlock(IPBlock(cidr: cidr))])])
    let analyzer = b.engine()
    #expect(analyzer.connections(from: .pod(inside), to: .pod(dst)).isEmpty)
    #expect(analyzer.podClass(inside) == analyzer.podClass(outside))
    let cni = b.engine(EngineOptions(ipBlockMatchesPodIPs: true))
    #expect(cni.connections(from: .pod(inside), to: .pod(dst)).isAll)
    #expect(cni.connections(from: .pod(outside), to: .pod(dst)).isEmpty)
    #expect(cni.podClass(inside) != cni.podClass(outside))
  }

  @Test("1.17 traffic to itself is always allowed; hostNetwork is reported")
  func selfTraffic() {
    var b = ClusterBuilder()
    let a = b.pod("a", hostNetwork: true)
    b.np("deny", ingress: [], egress: [])
    let e = b.engine()
    #expect(e.connections(from: .pod(a), to: .pod(a)).isAll)
    #expect(e.isHostNetwork(a))
    #expect(e.allConnections().isEmpty)
  }

  @Test("1.20 an ipBlock applies to its own address family only")
  func dualStack() throws {
    var b = ClusterBuilder()
    let a = b.pod("a")
    let v6 = try #require(CIDR("2001:db8::/32"))
    b.np("p", egress: [rule([.ipBlock(IPBlock(cidr: v6))])])
    let e = b.engine()
    #expect(e.connections(from: .pod(a), to: ext("2001:db8::/48")).isAll)
    #expect(e.connections(from: .pod(a), to: ext("0.0.0.0/0")).isEmpty)
    #expect(e.externalRanges.contains { $0.family == .v6 })
    #expect(!ClusterBuilder().engine().externalRanges.contains { $0.family == .v6 })
  }

  @Test("both sides must allow: egress of source AND ingress of destination")
  func bothSides() {
    var b = ClusterBuilder()
    let a = b.pod("a", labels: ["app": "a"])
    let c = b.pod("c", labels: ["app": "c"])
    b.np("eg", select: sel(["app": "a"]), egress: [rule(ports: [tcp(80, 90)])])
    b.np("in", select: sel(["app": "c"]), ingress: [rule(ports: [tcp(85, 100)])])
    #expect(b.engine().connections(from: .pod(a), to: .pod(c)) == conns([.tcp: [85...90]]))
  }
}

/// One small case per rule of SEMANTICS.md section 2 (admin policies).
@Suite("SEMANTICS 2: AdminNetworkPolicy and BaselineAdminNetworkPolicy")
struct AdminPolicySemanticsTests {
  @Test("2.1 lower priority number wins; first matching rule decides")
  func priorityOrder() {
    var b = ClusterBuilder()
    let a = b.pod("a", labels: ["app": "a"])
    let c = b.pod("c", labels: ["app": "c"])
    let all = AdminPolicyPeer.pods(.namespaces(.everything))
    b.anp("later", priority: 20, ingress: [arule("allow", .allow, [all])])
    b.anp(
      "first", priority: 10,
      ingress: [
        arule("deny80", .deny, [all], ports: [.number(.tcp, 80)]), arule("allow", .allow, [all]),
      ])
    let got = b.engine().connections(from: .pod(a), to: .pod(c))
    #expect(got == ConnectionSet.all.subtracting(conns([.tcp: [80...80]])))
    #expect(got.description == "SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535")
  }

  @Test("2.1 Pass skips the remaining ANPs and goes to the NetworkPolicy tier")
  func passToNetworkPolicy() {
    var b = ClusterBuilder()
    let a = b.pod("a", labels: ["app": "a"])
    let c = b.pod("c", labels: ["app": "c"])
    let all = AdminPolicyPeer.pods(.namespaces(.everything))
    b.anp("pass", priority: 1, ingress: [arule("pass", .pass, [all])])
    b.anp("deny", priority: 2, ingress: [arule("deny", .deny, [all])])
    b.np("np", select: sel(["app": "c"]), ingress: [rule(ports: [tcp(443)])])
    #expect(b.engine().connections(from: .pod(a), to: .pod(c)) == conns([.tcp: [443...443]]))
  }

  @Test("2.2 ANP Allow is final even when a NetworkPolicy would deny")
  func anpOverridesNetworkPolicy() {
    var b = ClusterBuilder()
    let a = b.pod("a", labels: ["app": "a"])
    let c = b.pod("c", labels: ["app": "c"])
    b.np("deny", ingress: [])
    b.anp(
      "allow", priority: 5,
      ingress: [
        arule("a", .allow, [.pods(.pods(namespaces: .everything, pods: sel(["app": "a"])))])
      ])
    let e = b.engine()
    #expect(e.connections(from: .pod(a), to: .pod(c)).isAll)
    #expect(e.connections(from: .pod(c), to: .pod(a)).isEmpty)
  }

  @Test("2.3 BANP decides only when no NetworkPolicy selects the pod")
  func baseline() {
    var b = ClusterBuilder(namespaces: ["x": [:], "y": [:]])
    let a = b.pod("a", ns: "x")
    let c = b.pod("c", ns: "y")
    let d = b.pod("d", ns: "y", labels: ["np": "yes"])
    b.banp(ingress: [
      arule("allow53", .allow, [.pods(.namespaces(.everything))], ports: [.number(.udp, 53)]),
      arule("deny", .deny, [.pods(.namespaces(.everything))]),
    ])
    b.np("open", ns: "y", select: sel(["np": "yes"]), ingress: [rule(ports: [tcp(80)])])
    let e = b.engine()
    #expect(e.connections(from: .pod(a), to: .pod(c)) == conns([.udp: [53...53]]))
    #expect(e.connections(from: .pod(a), to: .pod(d)) == conns([.tcp: [80...80]]))
    #expect(e.connections(from: ext("1.2.3.4/32"), to: .pod(c)).isAll)
  }

  @Test("2.4 nothing matched: allowed")
  func defaultAllow() {
    var b = ClusterBuilder()
    let a = b.pod("a")
    let c = b.pod("c")
    b.anp(
      "unrelated", priority: 1, subject: .namespaces(sel(["nope": "x"])),
      ingress: [arule("d", .deny, [.pods(.namespaces(.everything))])])
    #expect(b.engine().connections(from: .pod(a), to: .pod(c)).isAll)
  }

  @Test("admin peers: networks match external ranges, nodes match nothing")
  func networksAndNodes() throws {
    var b = ClusterBuilder()
    let a = b.pod("a")
    let net = try #require(CIDR("104.154.164.160/32"))
    b.anp(
      "egress", priority: 1,
      egress: [
        arule("nodes", .deny, [.nodes(.everything)]), arule("deny", .deny, [.networks([net])]),
      ])
    let e = b.engine()
    #expect(e.connections(from: .pod(a), to: ext("104.154.164.160/32")).isEmpty)
    #expect(e.connections(from: .pod(a), to: ext("104.154.164.161/32")).isAll)
  }

  @Test("admin named ports resolve against the destination pod")
  func adminNamedPorts() {
    var b = ClusterBuilder()
    let a = b.pod("a", labels: ["app": "a"])
    let c = b.pod("c", labels: ["app": "c"], ports: [ContainerPort(name: "web", port: 8080)])
    b.anp(
      "deny-web", priority: 1,
      ingress: [arule("d", .deny, [.pods(.namespaces(.everything))], ports: [.named("web")])])
    #expect(
      b.engine().connections(from: .pod(a), to: .pod(c))
        == ConnectionSet.all.subtracting(conns([.tcp: [8080...8080]])))
  }
}

@Suite("ConnectionSet")
struct ConnectionSetTests {
  @Test("normalises, prints like netpol-analyzer")
  func printing() {
    #expect(ConnectionSet.all.description == "All Connections")
    #expect(ConnectionSet.none.description == "No Connections")
    let c = conns([.tcp: [81...65535, 1...79], .udp: [53...53], .sctp: [9004...65535, 1...9002]])
    #expect(c.description == "SCTP 1-9002,9004-65535,TCP 1-79,81-65535,UDP 53")
    #expect(conns([.tcp: [1...5, 6...10, 3...4]]) == conns([.tcp: [1...10]]))
    var named = ConnectionSet.none
    named.namedPorts = [.tcp: ["http", "local-dns"]]
    #expect(named.description == "TCP http,local-dns")
  }

  @Test("set algebra")
  func algebra() {
    let a = conns([.tcp: [1...100]])
    let b = conns([.tcp: [50...150], .udp: [53...53]])
    #expect(a.union(b) == conns([.tcp: [1...150], .udp: [53...53]]))
    #expect(a.intersection(b) == conns([.tcp: [50...100]]))
    #expect(a.subtracting(b) == conns([.tcp: [1...49]]))
    #expect(ConnectionSet.all.subtracting(.all).isEmpty)
    #expect(b.contains(.udp, 53) && !b.contains(.udp, 54))
  }
}
