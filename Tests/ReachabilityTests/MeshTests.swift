import KubeModel
import Manifests
import Reachability
import Testing

/// One small case per mesh rule (SEMANTICS.md section 3).
@Suite("Mesh")
struct MeshTests {
  /// Namespaces `a` (sidecars), `b` (sidecars), `plain` (no mesh); a client `c` and a server
  /// `s` (Service `s`, port 8000 -> 80, named by `portName`) in each, plus `extra` YAML.
  static func cluster(
    extra: String = "", nsLabels: String = "istio-injection: enabled", portName: String = "http",
    clientPod: String = "", serverPod: String = "", options: MeshOptions = .init()
  ) -> (Cluster, ReachabilityEngine) {
    var yaml = ""
    for ns in ["a", "b", "plain"] {
      let labels = ns == "plain" ? "{}" : "{\(nsLabels)}"
      yaml += """
        apiVersion: v1
        kind: Namespace
        metadata: {name: \(ns), labels: \(labels)}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: c, namespace: \(ns), labels: {app: c}\(ns == "a" ? clientPod : "")}
        spec: {serviceAccountName: c, containers: [{name: main}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: s, namespace: \(ns), labels: {app: s\(ns == "a" ? serverPod : "")}}
        spec: {serviceAccountName: s, containers: [{name: main, ports: [{containerPort: 80}, {containerPort: 9090}]}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: s, namespace: \(ns)}
        spec: {selector: {app: s}, ports: [{name: \(portName), port: 8000, targetPort: 80}]}
        ---

        """
    }
    yaml += extra
    let result = ManifestLoader.load(yaml: yaml, file: "mesh.yaml")
    let errors = result.diagnostics.filter { $0.severity == .error }
    #expect(errors.isEmpty, "\(errors)")
    let engine = ReachabilityEngine(cluster: result.cluster, options: EngineOptions(mesh: options))
    return (result.cluster, engine)
  }

  static func pod(_ c: Cluster, _ ns: String, _ name: String) -> Int {
    c.pods.firstIndex { $0.namespace == ns && $0.name == name }!
  }

  /// The mesh part for one TCP port from pod ns1/c to pod ns2/s.
  static func part(
    _ c: Cluster, _ e: ReachabilityEngine, from: (String, String) = ("a", "c"), to: (String, String),
    port: Int = 80
  ) -> MeshPart? {
    let conns = ConnectionSet([.tcp: [PortRange(port, port)]])
    return e.meshVerdict(
      from: .pod(pod(c, from.0, from.1)), to: .pod(pod(c, to.0, to.1)), connections: conns
    )?.parts.first
  }

  /// The mesh part for one TCP target port from pod ns1/c to pod ns2/s, addressed to a Service
  /// (as `explain A svc:ns/name` does).
  static func servicePart(
    _ c: Cluster, _ e: ReachabilityEngine, from: (String, String) = ("a", "c"), to: (String, String),
    service: (String, String), port: Int = 80
  ) -> MeshPart? {
    let conns = ConnectionSet([.tcp: [PortRange(port, port)]])
    let index = c.services.firstIndex { $0.namespace == service.0 && $0.name == service.1 }!
    return e.meshVerdict(
      from: .pod(pod(c, from.0, from.1)), to: .pod(pod(c, to.0, to.1)), connections: conns, service: index
    )?.parts.first
  }

  static func outcome(_ p: MeshPart?) -> String {
    guard let p else { return "nil" }
    return "\(p.transport.rawValue)/\(p.authorization.rawValue)"
  }

  // MARK: presence

  @Test func injectionPrecedence() {
    let opts = MeshOptions()
    func dp(_ nsLabels: [String: String], pod labels: [String: String] = [:], annotations: [String: String] = [:])
      -> MeshDataplane
    {
      let pod = Pod(
        namespace: "n", name: "p", labels: labels, annotations: annotations, workload: 0,
        location: .synthetic("t"))
      return MeshMembership.dataplane(of: pod, namespaceLabels: nsLabels, options: opts)
    }
    #expect(dp(["istio-injection": "enabled"]) == .sidecar)
    #expect(dp(["istio-injection": "enabled"], pod: ["sidecar.istio.io/inject": "false"]) == .none)
    #expect(dp(["istio-injection": "disabled"], pod: ["sidecar.istio.io/inject": "true"]) == .none)
    #expect(dp([:], pod: ["sidecar.istio.io/inject": "true"]) == .sidecar)
    #expect(dp([:], annotations: ["sidecar.istio.io/inject": "true"]) == .sidecar)
    #expect(dp(["istio.io/rev": "canary"]) == .sidecar)
    // istio-injection wins over istio.io/rev.
    #expect(dp(["istio.io/rev": "canary", "istio-injection": "disabled"]) == .none)
    #expect(dp([:]) == .none)
    #expect(
      MeshMembership.dataplane(
        of: Pod(namespace: "n", name: "p", labels: [:], workload: 0, location: .synthetic("t")),
        namespaceLabels: [:], options: MeshOptions(injectByDefault: true)) == .sidecar)
    #expect(dp(["istio.io/dataplane-mode": "ambient"]) == .ambient)
    #expect(dp(["istio.io/dataplane-mode": "ambient"], pod: ["istio.io/dataplane-mode": "none"]) == .none)
    #expect(dp([:], pod: ["istio.io/dataplane-mode": "ambient"]) == .ambient)
    // A sidecar wins over ambient enrolment.
    #expect(dp(["istio.io/dataplane-mode": "ambient", "istio-injection": "enabled"]) == .sidecar)
  }

  @Test func alreadyInjectedPodsHaveASidecar() {
    let proxy = Pod(
      namespace: "n", name: "p", labels: [:], containers: ["app", "istio-proxy"], workload: 0,
      location: .synthetic("t"))
    let status = Pod(
      namespace: "n", name: "p", labels: ["sidecar.istio.io/inject": "false"],
      annotations: ["sidecar.istio.io/status": "{}"], workload: 0, location: .synthetic("t"))
    #expect(MeshMembership.dataplane(of: proxy, namespaceLabels: [:], options: .init()) == .sidecar)
    #expect(MeshMembership.dataplane(of: status, namespaceLabels: [:], options: .init()) == .sidecar)
  }

  @Test func meshTurnsOnOnlyWithMeshInput() {
    let (_, plain) = Self.cluster(nsLabels: "team: x")
    #expect(plain.mesh == nil)
    let (_, meshed) = Self.cluster()
    #expect(meshed.mesh != nil)
    let (_, off) = Self.cluster(options: MeshOptions(enabled: false))
    #expect(off.mesh == nil)
  }

  @Test func podsDifferingInSidecarOrAccountFallInDifferentClasses() {
    let extra = """
      apiVersion: v1
      kind: Pod
      metadata: {name: injected, namespace: plain, labels: {app: c}, annotations: {sidecar.istio.io/status: "{}"}}
      spec: {serviceAccountName: c, containers: [{name: main}]}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: other-account, namespace: plain, labels: {app: c}}
      spec: {serviceAccountName: other, containers: [{name: main}]}
      """
    let (c, e) = Self.cluster(extra: extra)
    let plain = e.podClass(Self.pod(c, "plain", "c"))
    #expect(e.podClass(Self.pod(c, "plain", "injected")) != plain)
    #expect(e.podClass(Self.pod(c, "plain", "other-account")) != plain)
    #expect(e.meshDataplane(ofPod: Self.pod(c, "plain", "injected")) == .sidecar)
    #expect(e.meshDataplane(ofPod: Self.pod(c, "plain", "c")) == MeshDataplane.none)
    // Without the mesh the three pods are one class.
    let (c2, e2) = Self.cluster(extra: extra, options: MeshOptions(enabled: false))
    #expect(e2.podClass(Self.pod(c2, "plain", "injected")) == e2.podClass(Self.pod(c2, "plain", "c")))
  }

  // MARK: transport

  @Test func autoMTLSAndPlaintext() {
    let (c, e) = Self.cluster()
    #expect(Self.outcome(Self.part(c, e, to: ("b", "s"))) == "mtls/allowed")
    #expect(Self.outcome(Self.part(c, e, to: ("plain", "s"))) == "plaintext/not-applicable")
    #expect(Self.outcome(Self.part(c, e, from: ("plain", "c"), to: ("a", "s"))) == "plaintext/allowed")
    #expect(Self.part(c, e, from: ("plain", "c"), to: ("plain", "s"))?.isUntouched == true)
  }

  static let meshStrict = """
    apiVersion: security.istio.io/v1
    kind: PeerAuthentication
    metadata: {name: default, namespace: istio-system}
    spec: {mtls: {mode: STRICT}}
    ---

    """

  @Test func meshWideStrictRejectsPlaintext() {
    let (c, e) = Self.cluster(extra: Self.meshStrict)
    let p = Self.part(c, e, from: ("plain", "c"), to: ("a", "s"))
    #expect(Self.outcome(p) == "rejected/not-applicable")
    #expect(p?.reasons.first?.object?.name == "default")
    #expect(p?.allowed == false)
    #expect(Self.outcome(Self.part(c, e, to: ("b", "s"))) == "mtls/allowed")
  }

  @Test func namespaceScopeOverridesMeshAndUnsetInherits() {
    let (c, e) = Self.cluster(
      extra: Self.meshStrict + """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: b}
        spec: {mtls: {mode: PERMISSIVE}}
        ---
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: unset, namespace: a}
        spec: {selector: {matchLabels: {app: s}}, mtls: {mode: UNSET}}
        """)
    #expect(Self.outcome(Self.part(c, e, from: ("plain", "c"), to: ("b", "s"))) == "plaintext/allowed")
    // UNSET on the workload inherits the mesh-wide STRICT.
    #expect(Self.outcome(Self.part(c, e, from: ("plain", "c"), to: ("a", "s"))) == "rejected/not-applicable")
  }

  @Test func portLevelMtlsOnlyOnServicePorts() {
    let (c, e) = Self.cluster(
      extra: """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: s, namespace: a}
        spec:
          selector: {matchLabels: {app: s}}
          mtls: {mode: STRICT}
          portLevelMtls: {80: {mode: DISABLE}, 9090: {mode: DISABLE}}
        """)
    // 80 is a Service target port: DISABLE; auto mTLS sends plaintext.
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"), port: 80)) == "plaintext/allowed")
    // 9090 is not exposed: the port-level entry is ignored, STRICT holds.
    #expect(
      Self.outcome(Self.part(c, e, from: ("plain", "c"), to: ("a", "s"), port: 9090)) == "rejected/not-applicable")
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"), port: 9090)) == "mtls/allowed")
    #expect(
      Self.part(c, e, from: ("b", "c"), to: ("a", "s"), port: 9090)?.reasons.contains {
        $0.text.contains("applies only to ports a Service exposes")
      } == true)
  }

  @Test func oldestWorkloadPolicyWins() {
    let (c, e) = Self.cluster(
      extra: """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: a-newer, namespace: a, creationTimestamp: "2024-05-01T00:00:00Z"}
        spec: {selector: {matchLabels: {app: s}}, mtls: {mode: PERMISSIVE}}
        ---
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: z-older, namespace: a, creationTimestamp: "2024-01-01T00:00:00Z"}
        spec: {selector: {matchLabels: {app: s}}, mtls: {mode: STRICT}}
        """)
    let p = Self.part(c, e, from: ("plain", "c"), to: ("a", "s"))
    #expect(Self.outcome(p) == "rejected/not-applicable")
    #expect(p?.reasons.first?.object?.name == "z-older")
  }

  @Test func destinationRuleDisableIntoStrictIsRejected() {
    let (c, e) = Self.cluster(
      extra: Self.meshStrict + """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: s, namespace: a}
        spec: {host: s.b, trafficPolicy: {tls: {mode: DISABLE}}}
        """)
    let p = Self.part(c, e, to: ("b", "s"))
    #expect(Self.outcome(p) == "rejected/not-applicable")
    #expect(p?.reasons.contains { $0.object?.kind == "DestinationRule" } == true)
    // The rule lives in the client namespace a: clients in b are not affected.
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("b", "s"))) == "mtls/allowed")
  }

  @Test func destinationRuleIstioMutualToPlainServerFails() {
    let (c, e) = Self.cluster(
      extra: """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: all, namespace: istio-system}
        spec: {host: "*.plain.svc.cluster.local", trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}
        """)
    #expect(Self.outcome(Self.part(c, e, to: ("plain", "s"))) == "failed/not-applicable")
  }

  @Test func destinationRuleLookupOrderAndPortLevel() {
    let (c, e) = Self.cluster(
      extra: """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: server-side, namespace: b}
        spec: {host: s, trafficPolicy: {tls: {mode: DISABLE}}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: client-side, namespace: a}
        spec:
          host: s.b.svc.cluster.local
          trafficPolicy:
            tls: {mode: DISABLE}
            portLevelSettings: [{port: {number: 8000}, tls: {mode: ISTIO_MUTUAL}}]
        """)
    // Client namespace first; its port-level setting for Service port 8000 wins.
    let p = Self.part(c, e, to: ("b", "s"))
    #expect(Self.outcome(p) == "mtls/allowed")
    #expect(p?.reasons.contains { $0.object?.name == "client-side" } == true)
    // From plain (no rule there), the server namespace's rule applies, but plain has no sidecar.
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("b", "s"))) == "plaintext/allowed")
  }

  @Test func hostForms() {
    let fqdn = "s.b.svc.cluster.local"
    let ok = ["s.b", "s.b.svc", fqdn, "*.b.svc.cluster.local", "*.cluster.local", "*"]
    for host in ok {
      let (c, e) = Self.cluster(
        extra: """
          apiVersion: networking.istio.io/v1
          kind: DestinationRule
          metadata: {name: d, namespace: a}
          spec: {host: "\(host)", trafficPolicy: {tls: {mode: DISABLE}}}
          """)
      #expect(Self.outcome(Self.part(c, e, to: ("b", "s"))) == "plaintext/allowed", "\(host)")
    }
    // A short name resolves in the rule's own namespace (a), so it does not name b's Service.
    let (c, e) = Self.cluster(
      extra: """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: d, namespace: a}
        spec: {host: s, trafficPolicy: {tls: {mode: DISABLE}}}
        """)
    #expect(Self.outcome(Self.part(c, e, to: ("b", "s"))) == "mtls/allowed")
  }

  // MARK: authorization

  static func policy(_ ns: String = "a", action: String = "ALLOW", rules: String) -> String {
    """
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata: {name: p, namespace: \(ns)}
    spec:
      selector: {matchLabels: {app: s}}
      action: \(action)
    \(rules)
    ---

    """
  }

  @Test func allowByPrincipalNeverMatchesPlaintext() {
    let (c, e) = Self.cluster(
      extra: Self.policy(rules: "  rules: [{from: [{source: {principals: [cluster.local/ns/b/sa/c]}}]}]"))
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"))) == "mtls/allowed")
    #expect(Self.outcome(Self.part(c, e, from: ("a", "c"), to: ("a", "s"))) == "mtls/denied")
    #expect(Self.outcome(Self.part(c, e, from: ("plain", "c"), to: ("a", "s"))) == "plaintext/denied")
  }

  /// `serviceAccounts` (`namespace/name`) and `trustDomains` (security.istio.io/v1 Source) match
  /// the mTLS identity, as principals do: never over plaintext.
  @Test func serviceAccountsMatchTheIdentity() {
    let (c, e) = Self.cluster(
      extra: Self.policy(rules: "  rules: [{from: [{source: {serviceAccounts: [b/c]}}]}]"))
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"))) == "mtls/allowed")
    #expect(Self.outcome(Self.part(c, e, from: ("a", "c"), to: ("a", "s"))) == "mtls/denied")
    #expect(Self.outcome(Self.part(c, e, from: ("plain", "c"), to: ("a", "s"))) == "plaintext/denied")
    let (c2, e2) = Self.cluster(
      extra: Self.policy(rules: "  rules: [{from: [{source: {notServiceAccounts: [b/c]}}]}]"))
    #expect(Self.outcome(Self.part(c2, e2, from: ("b", "c"), to: ("a", "s"))) == "mtls/denied")
    #expect(Self.outcome(Self.part(c2, e2, from: ("a", "c"), to: ("a", "s"))) == "mtls/allowed")
    #expect(Self.outcome(Self.part(c2, e2, from: ("plain", "c"), to: ("a", "s"))) == "plaintext/denied")
  }

  @Test func trustDomainsMatchTheIdentity() {
    let (c, e) = Self.cluster(
      extra: Self.policy(rules: "  rules: [{from: [{source: {trustDomains: [cluster.local]}}]}]"))
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"))) == "mtls/allowed")
    #expect(Self.outcome(Self.part(c, e, from: ("plain", "c"), to: ("a", "s"))) == "plaintext/denied")
    let (c2, e2) = Self.cluster(
      extra: Self.policy(rules: "  rules: [{from: [{source: {trustDomains: [\"other*\"]}}]}]"))
    #expect(Self.outcome(Self.part(c2, e2, from: ("b", "c"), to: ("a", "s"))) == "mtls/denied")
    let (c3, e3) = Self.cluster(
      extra: Self.policy(action: "DENY", rules: "  rules: [{from: [{source: {notTrustDomains: [other.local]}}]}]"))
    #expect(Self.outcome(Self.part(c3, e3, from: ("b", "c"), to: ("a", "s"))) == "mtls/denied")
    #expect(Self.outcome(Self.part(c3, e3, from: ("plain", "c"), to: ("a", "s"))) == "plaintext/allowed")
  }

  /// The API server's own checks: service accounts are `namespace/name` and exclude principals
  /// and namespaces in one source.
  @Test func malformedServiceAccountsAreErrors() {
    let mixed = ManifestLoader.load(
      yaml: Self.policy(rules: "  rules: [{from: [{source: {serviceAccounts: [b/c], namespaces: [b]}}]}]"),
      file: "p.yaml")
    #expect(mixed.diagnostics.contains { $0.code == .invalidValue && $0.location?.line == 7 })
    let nested = ManifestLoader.load(
      yaml: Self.policy(rules: "  rules: [{from: [{source: {serviceAccounts: [b/c/d]}}]}]"), file: "p.yaml")
    #expect(nested.diagnostics.contains { $0.code == .invalidValue && $0.message.contains("'b/c/d'") })
  }

  /// A bare service account name is read in the policy's namespace (Istio's principal matcher
  /// for `sa-only` in a policy of namespace `foo` is `.../ns/foo/sa/sa-only`).
  @Test func bareServiceAccountIsInThePolicysNamespace() {
    let (c, e) = Self.cluster(
      extra: Self.policy(rules: "  rules: [{from: [{source: {serviceAccounts: [c]}}]}]"))
    #expect(Self.outcome(Self.part(c, e, from: ("a", "c"), to: ("a", "s"))) == "mtls/allowed")
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"))) == "mtls/denied")
  }

  @Test func denyByNamespaceDoesNotCatchPlaintext() {
    let (c, e) = Self.cluster(
      extra: Self.policy(action: "DENY", rules: "  rules: [{from: [{source: {notNamespaces: [a]}}]}]"))
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"))) == "mtls/denied")
    #expect(Self.outcome(Self.part(c, e, from: ("a", "c"), to: ("a", "s"))) == "mtls/allowed")
    #expect(Self.outcome(Self.part(c, e, from: ("plain", "c"), to: ("a", "s"))) == "plaintext/allowed")
  }

  @Test func allowNothingAllowAllDenyAll() {
    let (c1, e1) = Self.cluster(extra: Self.policy(rules: ""))
    #expect(Self.outcome(Self.part(c1, e1, from: ("b", "c"), to: ("a", "s"))) == "mtls/denied")
    let (c2, e2) = Self.cluster(extra: Self.policy(rules: "  rules: [{}]"))
    #expect(Self.outcome(Self.part(c2, e2, from: ("b", "c"), to: ("a", "s"))) == "mtls/allowed")
    let (c3, e3) = Self.cluster(extra: Self.policy(action: "DENY", rules: "  rules: [{}]"))
    #expect(Self.outcome(Self.part(c3, e3, from: ("b", "c"), to: ("a", "s"))) == "mtls/denied")
    let (c4, e4) = Self.cluster(extra: Self.policy(action: "AUDIT", rules: "  rules: [{}]"))
    #expect(Self.outcome(Self.part(c4, e4, from: ("b", "c"), to: ("a", "s"))) == "mtls/allowed")
  }

  @Test func denyBeforeAllowAndPorts() {
    let (c, e) = Self.cluster(
      extra: Self.policy(rules: "  rules: [{}]").replacingOccurrences(of: "name: p,", with: "name: allow,")
        + Self.policy(action: "DENY", rules: "  rules: [{to: [{operation: {ports: [\"9090\"]}}]}]"))
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"), port: 80)) == "mtls/allowed")
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"), port: 9090)) == "mtls/denied")
  }

  @Test func rootNamespacePolicyAppliesMeshWide() {
    let (c, e) = Self.cluster(
      extra: Self.policy("istio-system", action: "DENY", rules: "  rules: [{from: [{source: {namespaces: [b]}}]}]"))
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"))) == "mtls/denied")
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("b", "s"))) == "mtls/denied")
    #expect(Self.outcome(Self.part(c, e, from: ("a", "c"), to: ("b", "s"))) == "mtls/allowed")
  }

  @Test func whenConditionsAtL4() {
    let (c, e) = Self.cluster(
      extra: Self.policy(
        rules: """
            rules:
            - when:
              - {key: source.namespace, values: [b]}
              - {key: destination.port, notValues: ["9090"]}
          """))
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"), port: 80)) == "mtls/allowed")
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"), port: 9090)) == "mtls/denied")
    #expect(Self.outcome(Self.part(c, e, from: ("a", "c"), to: ("a", "s"), port: 80)) == "mtls/denied")
  }

  @Test func ipBlocksAndNegations() {
    let (c, e) = Self.cluster(
      extra: Self.policy(rules: "  rules: [{from: [{source: {ipBlocks: [10.0.0.0/8], notIpBlocks: [10.1.0.0/16]}}]}]"))
    let s = Self.pod(c, "a", "s")
    let conns = ConnectionSet([.tcp: [PortRange(80, 80)]])
    let inside = e.meshVerdict(from: ext("10.2.0.0/16"), to: .pod(s), connections: conns)?.parts.first
    let excepted = e.meshVerdict(from: ext("10.1.0.0/16"), to: .pod(s), connections: conns)?.parts.first
    let outside = e.meshVerdict(from: ext("192.168.0.0/16"), to: .pod(s), connections: conns)?.parts.first
    #expect(Self.outcome(inside) == "plaintext/allowed")
    #expect(Self.outcome(excepted) == "plaintext/denied")
    #expect(Self.outcome(outside) == "plaintext/denied")
  }

  @Test func httpOnlyFieldsDependOnTheProtocol() {
    let allowGet = Self.policy(rules: "  rules: [{to: [{operation: {methods: [GET]}}]}]")
    // HTTP port: the outcome hinges on the method.
    let (c1, e1) = Self.cluster(extra: allowGet, portName: "http")
    #expect(Self.outcome(Self.part(c1, e1, from: ("b", "c"), to: ("a", "s"))) == "mtls/depends-on-L7")
    // TCP port: an ALLOW rule with HTTP fields never matches.
    let (c2, e2) = Self.cluster(extra: allowGet, portName: "tcp-db")
    #expect(Self.outcome(Self.part(c2, e2, from: ("b", "c"), to: ("a", "s"))) == "mtls/denied")
    // Unknown protocol: depends on L7.
    let (c3, e3) = Self.cluster(extra: allowGet, portName: "web")
    #expect(Self.outcome(Self.part(c3, e3, from: ("b", "c"), to: ("a", "s"))) == "mtls/depends-on-L7")
    // TCP port: a DENY rule matches as if the HTTP fields were absent.
    let denyGet = Self.policy(action: "DENY", rules: "  rules: [{to: [{operation: {methods: [GET]}}]}]")
    let (c4, e4) = Self.cluster(extra: denyGet, portName: "tcp")
    #expect(Self.outcome(Self.part(c4, e4, from: ("b", "c"), to: ("a", "s"))) == "mtls/denied")
    let (c5, e5) = Self.cluster(extra: denyGet, portName: "http")
    #expect(Self.outcome(Self.part(c5, e5, from: ("b", "c"), to: ("a", "s"))) == "mtls/depends-on-L7")
  }

  @Test func customIsReportedNotDecided() {
    let (c, e) = Self.cluster(
      extra: Self.policy(action: "CUSTOM", rules: "  provider: {name: ext-authz}\n  rules: [{}]"))
    let p = Self.part(c, e, from: ("b", "c"), to: ("a", "s"))
    #expect(Self.outcome(p) == "mtls/allowed")
    #expect(p?.reasons.contains { $0.text.contains("ext-authz") } == true)
  }

  // MARK: ambient

  @Test func ambientHBONEAndIgnoredDisable() {
    let (c, e) = Self.cluster(
      extra: Self.meshStrict + """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: b}
        spec: {mtls: {mode: DISABLE}}
        """,
      nsLabels: "istio.io/dataplane-mode: ambient")
    #expect(Self.outcome(Self.part(c, e, to: ("b", "s"))) == "mtls/allowed")
    // DISABLE is ignored in ambient: mesh-wide STRICT still rejects plaintext.
    #expect(Self.outcome(Self.part(c, e, from: ("plain", "c"), to: ("b", "s"))) == "rejected/not-applicable")
    #expect(Self.outcome(Self.part(c, e, to: ("plain", "s"))) == "plaintext/not-applicable")
  }

  @Test func ztunnelTurnsL7PoliciesIntoDeny() {
    let (c, e) = Self.cluster(
      extra: Self.policy(
        rules: "  rules: [{from: [{source: {namespaces: [b]}}], to: [{operation: {methods: [GET]}}]}]"),
      nsLabels: "istio.io/dataplane-mode: ambient")
    // Fail safe: the ALLOW policy becomes a DENY of its L4 part (source namespace b).
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"))) == "mtls/denied")
    #expect(Self.outcome(Self.part(c, e, from: ("a", "c"), to: ("a", "s"))) == "mtls/allowed")
  }

  @Test func waypointEnforcesTargetRefPolicies() {
    let policy = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: wp, namespace: a}
      spec:
        targetRefs: [{kind: Service, group: "", name: s}]
        action: ALLOW
        rules: [{to: [{operation: {methods: [GET]}}]}]
      """
    let (c, e) = Self.cluster(
      extra: policy, nsLabels: "istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint")
    // A policy attached to the Service applies at the waypoint to traffic addressed to the Service.
    #expect(
      Self.outcome(Self.servicePart(c, e, from: ("b", "c"), to: ("a", "s"), service: ("a", "s")))
        == "mtls/depends-on-L7")
    // Traffic addressed to the pod's IP is not addressed to the Service: its policy does not apply.
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"))) == "mtls/allowed")
    // Without a waypoint, a targetRefs policy is not enforced by ztunnel.
    let (c2, e2) = Self.cluster(extra: policy, nsLabels: "istio.io/dataplane-mode: ambient")
    #expect(Self.outcome(Self.part(c2, e2, from: ("b", "c"), to: ("a", "s"))) == "mtls/allowed")
    #expect(
      Self.outcome(Self.servicePart(c2, e2, from: ("b", "c"), to: ("a", "s"), service: ("a", "s")))
        == "mtls/allowed")
  }

  @Test func ztunnelBehindWaypointSeesWaypointIdentity() {
    // A selector (ztunnel) policy allowing only b/c: behind a waypoint the destination ztunnel
    // sees the waypoint's identity (a/sa/waypoint), so b/c is denied there and the waypoint's
    // own identity is what such a policy must name (istio.io ambient/usage/l4-policy).
    let onlyClient = Self.policy(rules: "  rules: [{from: [{source: {principals: [cluster.local/ns/b/sa/c]}}]}]")
    let waypointNs = "istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint"
    let (c, e) = Self.cluster(extra: onlyClient, nsLabels: waypointNs)
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"))) == "mtls/denied")
    // Without a waypoint the ztunnel sees the client itself.
    let (c2, e2) = Self.cluster(extra: onlyClient, nsLabels: "istio.io/dataplane-mode: ambient")
    #expect(Self.outcome(Self.part(c2, e2, from: ("b", "c"), to: ("a", "s"))) == "mtls/allowed")
    // Naming the waypoint's identity lets every client through the ztunnel, plaintext ones too.
    let onlyWaypoint = Self.policy(
      rules: "  rules: [{from: [{source: {principals: [cluster.local/ns/a/sa/waypoint]}}]}]")
    let (c3, e3) = Self.cluster(extra: onlyWaypoint, nsLabels: waypointNs)
    #expect(Self.outcome(Self.part(c3, e3, from: ("b", "c"), to: ("a", "s"))) == "mtls/allowed")
    #expect(Self.outcome(Self.part(c3, e3, from: ("plain", "c"), to: ("a", "s"))) == "plaintext/allowed")
  }

  @Test func serviceUseWaypointLabel() {
    // `istio.io/use-waypoint` on a Service: traffic addressed to that Service goes through the
    // waypoint (policies attached by targetRefs apply; ztunnel sees the waypoint's identity);
    // traffic addressed to the pod's IP does not (a Service label enrols service traffic only).
    func cluster(labelled: Bool, extra: String) -> (Cluster, ReachabilityEngine) {
      let labels = labelled ? "{istio.io/use-waypoint: wp}" : "{}"
      return Self.cluster(
        extra: """
          apiVersion: v1
          kind: Service
          metadata: {name: ws, namespace: a, labels: \(labels)}
          spec: {selector: {app: s}, ports: [{name: http, port: 9090, targetPort: 9090}]}
          ---

          """ + extra, nsLabels: "istio.io/dataplane-mode: ambient")
    }
    let getOnly = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: wp-get, namespace: a}
      spec:
        targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: wp}]
        action: ALLOW
        rules: [{to: [{operation: {methods: [GET]}}]}]
      ---

      """
    let (c, e) = cluster(labelled: true, extra: getOnly)
    #expect(c.services.first { $0.name == "ws" }?.labels["istio.io/use-waypoint"] == "wp")
    #expect(
      Self.outcome(Self.servicePart(c, e, from: ("b", "c"), to: ("a", "s"), service: ("a", "ws"), port: 9090))
        == "mtls/depends-on-L7")
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"), port: 9090)) == "mtls/allowed")
    // The unlabelled Service s: no waypoint.
    #expect(
      Self.outcome(Self.servicePart(c, e, from: ("b", "c"), to: ("a", "s"), service: ("a", "s"), port: 80))
        == "mtls/allowed")
    let (c2, e2) = cluster(labelled: false, extra: getOnly)
    #expect(
      Self.outcome(Self.servicePart(c2, e2, from: ("b", "c"), to: ("a", "s"), service: ("a", "ws"), port: 9090))
        == "mtls/allowed")
    // A ztunnel policy naming only the client: denied behind the Service's waypoint.
    let onlyClient = Self.policy(rules: "  rules: [{from: [{source: {principals: [cluster.local/ns/b/sa/c]}}]}]")
    let (c3, e3) = cluster(labelled: true, extra: onlyClient)
    #expect(
      Self.outcome(Self.servicePart(c3, e3, from: ("b", "c"), to: ("a", "s"), service: ("a", "ws"), port: 9090))
        == "mtls/denied")
    #expect(Self.outcome(Self.part(c3, e3, from: ("b", "c"), to: ("a", "s"), port: 9090)) == "mtls/allowed")
  }

  // MARK: waypoint traffic types (istio.io ambient/usage/waypoint, "Waypoint traffic types")

  static func gateway(
    _ name: String, namespace: String = "a", for type: String? = nil, allowedRoutes: String? = nil
  ) -> String {
    let labels = type.map { "{istio.io/waypoint-for: \($0)}" } ?? "{}"
    let routes = allowedRoutes.map { ", allowedRoutes: {namespaces: \($0)}" } ?? ""
    return """
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {name: \(name), namespace: \(namespace), labels: \(labels)}
      spec:
        gatewayClassName: istio-waypoint
        listeners: [{name: mesh, port: 15008, protocol: HBONE\(routes)}]
      ---

      """
  }

  static func gatewayPolicy(_ gateway: String, namespace: String = "a") -> String {
    """
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata: {name: get-only, namespace: \(namespace)}
    spec:
      targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: \(gateway)}]
      action: ALLOW
      rules: [{to: [{operation: {methods: [GET]}}]}]
    ---

    """
  }

  static let onlyClientB = policy(rules: "  rules: [{from: [{source: {principals: [cluster.local/ns/b/sa/c]}}]}]")

  @Test func defaultWaypointHandlesServiceTrafficOnly() {
    // A Gateway without istio.io/waypoint-for handles service traffic only, even when the whole
    // namespace is enrolled: pod-addressed traffic goes to the destination ztunnel, which sees
    // the client itself and enforces the selector policies; the waypoint's targetRefs policies do
    // not apply. Traffic addressed to the Service goes through the waypoint.
    let ns = "istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint"
    let (c, e) = Self.cluster(extra: Self.gateway("waypoint") + Self.gatewayPolicy("waypoint"), nsLabels: ns)
    #expect(c.waypoints.map(\.trafficType) == [.service])
    let pod = Self.part(c, e, from: ("b", "c"), to: ("a", "s"))
    #expect(Self.outcome(pod) == "mtls/allowed")
    #expect(
      pod?.reasons.contains {
        $0.text.contains("waypoint a/waypoint")
          && $0.text.contains("handles service traffic only; pod-addressed traffic goes to the destination ztunnel")
          && $0.object?.kind == "Gateway"
      } == true, "\(pod?.reasons ?? [])")
    let svc = Self.servicePart(c, e, from: ("b", "c"), to: ("a", "s"), service: ("a", "s"))
    #expect(Self.outcome(svc) == "mtls/depends-on-L7")
    #expect(svc?.reasons.contains { $0.text.contains("goes through waypoint a/waypoint") } == true)
    // The ztunnel behind the waypoint sees the waypoint's identity on service traffic only.
    let (c2, e2) = Self.cluster(extra: Self.gateway("waypoint") + Self.onlyClientB, nsLabels: ns)
    #expect(Self.outcome(Self.part(c2, e2, from: ("b", "c"), to: ("a", "s"))) == "mtls/allowed")
    #expect(
      Self.outcome(Self.servicePart(c2, e2, from: ("b", "c"), to: ("a", "s"), service: ("a", "s"))) == "mtls/denied")
  }

  @Test func workloadAndAllWaypoints() {
    let ns = "istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint"
    // workload: pod-addressed traffic through the waypoint, service traffic not.
    let (c, e) = Self.cluster(
      extra: Self.gateway("waypoint", for: "workload") + Self.gatewayPolicy("waypoint"), nsLabels: ns)
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"))) == "mtls/depends-on-L7")
    let svc = Self.servicePart(c, e, from: ("b", "c"), to: ("a", "s"), service: ("a", "s"))
    #expect(Self.outcome(svc) == "mtls/allowed")
    #expect(
      svc?.reasons.contains {
        $0.text.contains("handles workload (pod-addressed) traffic only; traffic addressed to Service a/s goes to")
      } == true, "\(svc?.reasons ?? [])")
    // all: both.
    let (c2, e2) = Self.cluster(
      extra: Self.gateway("waypoint", for: "all") + Self.gatewayPolicy("waypoint"), nsLabels: ns)
    #expect(Self.outcome(Self.part(c2, e2, from: ("b", "c"), to: ("a", "s"))) == "mtls/depends-on-L7")
    #expect(
      Self.outcome(Self.servicePart(c2, e2, from: ("b", "c"), to: ("a", "s"), service: ("a", "s")))
        == "mtls/depends-on-L7")
    // none: neither.
    let (c3, e3) = Self.cluster(
      extra: Self.gateway("waypoint", for: "none") + Self.gatewayPolicy("waypoint"), nsLabels: ns)
    #expect(Self.outcome(Self.part(c3, e3, from: ("b", "c"), to: ("a", "s"))) == "mtls/allowed")
    #expect(
      Self.outcome(Self.servicePart(c3, e3, from: ("b", "c"), to: ("a", "s"), service: ("a", "s"))) == "mtls/allowed")
  }

  /// Namespace labels enrolling in the waypoint `infra/shared`, and the namespace infra.
  static let sharedWaypointLabels =
    "istio.io/dataplane-mode: ambient, istio.io/use-waypoint: shared, istio.io/use-waypoint-namespace: infra"
  static let infraNamespace = """
    apiVersion: v1
    kind: Namespace
    metadata: {name: infra}
    ---

    """

  @Test func useWaypointNamespace() {
    // istio.io/use-waypoint-namespace names the waypoint's namespace: its Gateway, the policies
    // attached to it and its identity live there.
    let (ns, infra) = (Self.sharedWaypointLabels, Self.infraNamespace)
    let all = "{from: All}"
    let (c, e) = Self.cluster(
      extra: infra + Self.gateway("shared", namespace: "infra", for: "all", allowedRoutes: all)
        + Self.gatewayPolicy("shared", namespace: "infra"), nsLabels: ns)
    #expect(Self.outcome(Self.part(c, e, from: ("b", "c"), to: ("a", "s"))) == "mtls/depends-on-L7")
    // A policy naming a Gateway `shared` from the enrolled namespace does not attach to it.
    let (c2, e2) = Self.cluster(
      extra: infra + Self.gateway("shared", namespace: "infra", for: "all") + Self.gatewayPolicy("shared"), nsLabels: ns
    )
    #expect(Self.outcome(Self.part(c2, e2, from: ("b", "c"), to: ("a", "s"))) == "mtls/allowed")
    // The ztunnel sees the waypoint's identity in its own namespace.
    let onlyInfra = Self.policy(
      rules: "  rules: [{from: [{source: {principals: [cluster.local/ns/infra/sa/shared]}}]}]")
    let (c3, e3) = Self.cluster(
      extra: infra + Self.gateway("shared", namespace: "infra", for: "all", allowedRoutes: all) + onlyInfra,
      nsLabels: ns)
    #expect(Self.outcome(Self.part(c3, e3, from: ("b", "c"), to: ("a", "s"))) == "mtls/allowed")
    let onlyLocal = Self.policy(rules: "  rules: [{from: [{source: {principals: [cluster.local/ns/a/sa/shared]}}]}]")
    let (c4, e4) = Self.cluster(
      extra: infra + Self.gateway("shared", namespace: "infra", for: "all", allowedRoutes: all) + onlyLocal,
      nsLabels: ns)
    #expect(Self.outcome(Self.part(c4, e4, from: ("b", "c"), to: ("a", "s"))) == "mtls/denied")
  }

  @Test func crossNamespaceWaypointNeedsAllowedRoutes() {
    // A waypoint in another namespace is used only when its HBONE listener's allowedRoutes accept
    // the enrolled resource's namespace (Same by default; istio/istio ambient waypoints.go).
    let (ns, infra) = (Self.sharedWaypointLabels, Self.infraNamespace)
    func outcome(_ routes: String?) -> (String, [MeshReason]) {
      let (c, e) = Self.cluster(
        extra: infra + Self.gateway("shared", namespace: "infra", for: "all", allowedRoutes: routes)
          + Self.gatewayPolicy("shared", namespace: "infra"), nsLabels: ns)
      let p = Self.part(c, e, from: ("b", "c"), to: ("a", "s"))
      return (Self.outcome(p), p?.reasons ?? [])
    }
    let (same, reasons) = outcome(nil)
    #expect(same == "mtls/allowed")
    #expect(
      reasons.contains {
        $0.text.contains("does not accept resources of namespace a (allowedRoutes of its HBONE listener)")
      }, "\(reasons)")
    #expect(outcome("{from: Same}").0 == "mtls/allowed")
    #expect(outcome("{from: All}").0 == "mtls/depends-on-L7")
    #expect(
      outcome("{from: Selector, selector: {matchLabels: {kubernetes.io/metadata.name: a}}}").0 == "mtls/depends-on-L7")
    #expect(outcome("{from: Selector, selector: {matchLabels: {kubernetes.io/metadata.name: b}}}").0 == "mtls/allowed")
  }

  @Test func podLabelWithServiceOnlyWaypoint() {
    // The pod's own label wins over its namespace's, even when its waypoint handles service
    // traffic only: then pod-addressed traffic uses no waypoint at all (no fallback to the
    // namespace's workload-capable waypoint).
    let ns = "istio.io/dataplane-mode: ambient, istio.io/use-waypoint: nswp"
    let extra =
      Self.gateway("podwp") + Self.gateway("nswp", for: "all") + Self.gatewayPolicy("nswp")
    let (c, e) = Self.cluster(extra: extra, nsLabels: ns, serverPod: ", istio.io/use-waypoint: podwp")
    let p = Self.part(c, e, from: ("b", "c"), to: ("a", "s"))
    #expect(Self.outcome(p) == "mtls/allowed")
    #expect(p?.reasons.contains { $0.text.contains("waypoint a/podwp (istio.io/use-waypoint on the pod)") } == true)
    // Without the pod label the namespace's waypoint (for all) handles it.
    let (c2, e2) = Self.cluster(extra: extra, nsLabels: ns)
    #expect(Self.outcome(Self.part(c2, e2, from: ("b", "c"), to: ("a", "s"))) == "mtls/depends-on-L7")
    // A workload waypoint on the pod label is used.
    let (c3, e3) = Self.cluster(
      extra: Self.gateway("podwp", for: "workload") + Self.gatewayPolicy("podwp"),
      nsLabels: "istio.io/dataplane-mode: ambient",
      serverPod: ", istio.io/use-waypoint: podwp")
    #expect(Self.outcome(Self.part(c3, e3, from: ("b", "c"), to: ("a", "s"))) == "mtls/depends-on-L7")
  }

  @Test func missingWaypointGatewayIsAssumedAndWarned() {
    // No Gateway in the input: the label's resource decides the assumed type, with one warning
    // per label: namespace -> all, Service -> service, pod -> workload.
    let (c, e) = Self.cluster(
      extra: """
        apiVersion: v1
        kind: Service
        metadata: {name: ws, namespace: a, labels: {istio.io/use-waypoint: svcwp}}
        spec: {selector: {app: s}, ports: [{name: http, port: 9090, targetPort: 9090}]}
        ---

        """ + Self.gatewayPolicy("waypoint"),
      nsLabels: "istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint",
      serverPod: ", istio.io/use-waypoint: podwp")
    let warnings = MeshMembership.waypointDiagnostics(in: c)
    let texts = warnings.map(\.message).sorted()
    #expect(warnings.allSatisfy { $0.severity == .warning && $0.code == .waypointNotFound && $0.location != nil })
    #expect(texts.count == 4, "\(texts)")  // namespaces a and b, Service a/ws, pod a/s
    #expect(texts.contains { $0.hasPrefix("namespace 'a'") && $0.contains("(istio.io/waypoint-for=all)") })
    #expect(texts.contains { $0.hasPrefix("Service 'a/ws'") && $0.contains("(istio.io/waypoint-for=service)") })
    #expect(texts.contains { $0.contains("'a/s'") && $0.contains("(istio.io/waypoint-for=workload)") })
    // The namespace label is read as before (both traffic types), and the reason says it is assumed.
    let p = Self.part(c, e, from: ("b", "c"), to: ("a", "c"))
    #expect(Self.outcome(p) == "mtls/depends-on-L7")
    #expect(p?.reasons.contains { $0.text.contains("(assumed: its Gateway is not in the input)") } == true)
    // The pod's own label wins: its (assumed workload) waypoint podwp carries no policy.
    let p2 = Self.part(c, e, from: ("b", "c"), to: ("a", "s"))
    #expect(Self.outcome(p2) == "mtls/allowed")
    #expect(
      p2?.reasons.contains {
        $0.text.hasPrefix("pod-addressed traffic goes through waypoint a/podwp (istio.io/use-waypoint on the pod")
      } == true, "\(p2?.reasons ?? [])")
    // With the Gateways in the input: no warning.
    let (c2, _) = Self.cluster(
      extra: Self.gateway("waypoint") + Self.gateway("waypoint", namespace: "b"),
      nsLabels: "istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint")
    #expect(MeshMembership.waypointDiagnostics(in: c2).isEmpty)
  }

  @Test func waypointGatewaysAreRead() {
    let result = ManifestLoader.load(
      yaml: Self.gateway("w1", for: "workload", allowedRoutes: "{from: All}") + Self.gateway("w2")
        + Self.gateway("w3", for: "sideways", allowedRoutes: "{from: Selector, selector: {matchLabels: {team: x}}}")
          + """
          apiVersion: gateway.networking.k8s.io/v1
          kind: Gateway
          metadata: {name: ingress, namespace: a}
          spec: {gatewayClassName: istio, listeners: [{name: http, port: 80, protocol: HTTP}]}
          """, file: "gw.yaml")
    let c = result.cluster
    #expect(c.waypoints.map(\.name) == ["w1", "w2", "w3"])
    #expect(c.waypoints.map(\.trafficType) == [.workload, .service, .service])
    #expect(c.waypoints[0].location.line == 1)
    #expect(result.diagnostics.contains { $0.code == .unknownWaypointFor && $0.message.contains("sideways") })
    let attachments: [WaypointAttachment] = [.all, .same, .selector(LabelSelector(matchLabels: ["team": "x"]))]
    #expect(c.waypoints.map(\.allowedNamespaces) == attachments)
    // The manifest writer gives them back as written (the label absent stays absent).
    let again = ManifestLoader.load(yaml: ManifestWriter.yaml(for: c), file: "again.yaml").cluster
    #expect(again.waypoints.map(\.name) == ["w1", "w2", "w3"])
    #expect(again.waypoints.map(\.waypointFor) == ["workload", nil, "sideways"])
    #expect(again.waypoints.map(\.allowedNamespaces) == attachments)
  }

  @Test func udpIsOutsideTheMesh() {
    let (c, e) = Self.cluster(extra: Self.meshStrict)
    let v = e.meshVerdict(
      from: .pod(Self.pod(c, "plain", "c")), to: .pod(Self.pod(c, "a", "s")),
      connections: ConnectionSet([.udp: [PortRange(53, 53)]]))
    #expect(v?.parts.first?.transport == MeshTransport.none && v?.parts.first?.allowed == true)
  }

  @Test func verdictText() {
    let (c, e) = Self.cluster(
      extra: """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: s, namespace: a}
        spec: {selector: {matchLabels: {app: s}}, portLevelMtls: {80: {mode: DISABLE}}}
        """)
    let v = e.meshVerdict(
      from: .pod(Self.pod(c, "b", "c")), to: .pod(Self.pod(c, "a", "s")),
      connections: ConnectionSet([.tcp: [PortRange(80, 80), PortRange(8080, 8080)]]))
    #expect(v?.description == "TCP 80 [plaintext],TCP 8080 [mTLS]")
  }
}
