import Checks
import KubeModel
import Manifests
import Testing

/// One small cluster per built-in check: a case that must be found, and the fix that clears it.
@Suite struct BuiltinChecksTests {
  static func cluster(_ yaml: String) throws -> Cluster {
    let result = ManifestLoader.load(yaml: yaml, file: "test.yaml")
    try #require(!result.diagnostics.contains { $0.severity == .error }, "\(result.diagnostics)")
    return result.cluster
  }

  static func findings(_ yaml: String, rules: RulesFile = RulesFile()) throws -> [Finding] {
    CheckRunner(rules: rules).findings(of: try cluster(yaml))
  }

  static func ids(_ findings: [Finding], _ check: String) -> [String] {
    findings.filter { $0.check == check }.map { "\($0.object)\($0.detail.isEmpty ? "" : " \($0.detail)")" }
  }

  static func deployment(_ name: String, ns: String, labels: String, ports: String = "[]", hostNetwork: Bool = false)
    -> String
  {
    """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: \(name), namespace: \(ns)}
    spec:
      selector: {matchLabels: \(labels)}
      template:
        metadata: {labels: \(labels)}
        spec:
          hostNetwork: \(hostNetwork)
          containers: [{name: c, image: i, ports: \(ports)}]
    ---

    """
  }

  static let denyAll = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: deny-all, namespace: a}
    spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
    ---

    """

  static let allowDNS = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: dns, namespace: a}
    spec:
      podSelector: {}
      policyTypes: [Egress]
      egress:
        - to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
          ports: [{protocol: UDP, port: 53}]
    ---

    """

  @Test func externalExposureNeedsAnEntryAndAnOpenRule() throws {
    let db = Self.deployment("db", ns: "a", labels: "{app: db}", ports: "[{containerPort: 5432}]")
    let lb = """
      apiVersion: v1
      kind: Service
      metadata: {name: db, namespace: a}
      spec: {type: LoadBalancer, selector: {app: db}, ports: [{port: 5432}]}
      ---

      """
    let open = """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: db, namespace: a}
      spec:
        podSelector: {matchLabels: {app: db}}
        ingress: [{from: [{ipBlock: {cidr: 203.0.113.0/24}}], ports: [{port: 5432}]}]
      """
    let found = try Self.findings(db + lb + Self.denyAll + Self.allowDNS + open)
    #expect(Self.ids(found, "external-exposure") == ["Deployment/a/db Service/a/db"])
    #expect(found.first { $0.check == "external-exposure" }?.message.contains("TCP 5432") ?? false)
    // Only part of the address space: not reachable from 0.0.0.0/0.
    #expect(Self.ids(found, "reachable-from-internet").isEmpty)
    // Without the opening rule the LoadBalancer leads nowhere.
    #expect(Self.ids(try Self.findings(db + lb + Self.denyAll + Self.allowDNS), "external-exposure").isEmpty)
  }

  @Test func ingressInFrontOfAWorkloadIsExposure() throws {
    let web = Self.deployment("web", ns: "a", labels: "{app: web}", ports: "[{name: http, containerPort: 8080}]")
    let svc = """
      apiVersion: v1
      kind: Service
      metadata: {name: web, namespace: a}
      spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}
      ---
      apiVersion: networking.k8s.io/v1
      kind: Ingress
      metadata: {name: web, namespace: a}
      spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}
      ---

      """
    let found = try Self.findings(web + svc)
    #expect(Self.ids(found, "external-exposure") == ["Deployment/a/web Ingress/a/web"])
    #expect(Self.ids(try Self.findings(web + svc + Self.denyAll), "external-exposure").isEmpty)
  }

  @Test func internetAndEveryNamespace() throws {
    let web = Self.deployment("web", ns: "a", labels: "{app: web}")
    let open = """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: web, namespace: a}
      spec:
        podSelector: {matchLabels: {app: web}}
        ingress:
          - from: [{ipBlock: {cidr: 0.0.0.0/0}}]
            ports: [{port: 443}]
          - from: [{namespaceSelector: {}}]
            ports: [{port: 8443}]
      """
    let found = try Self.findings(web + Self.denyAll + Self.allowDNS + open)
    #expect(
      found.first { $0.check == "reachable-from-internet" }?.message.contains(
        "on TCP 443 (NetworkPolicy a/web ingress rule #1)") ?? false)
    #expect(found.first { $0.check == "reachable-from-all-namespaces" }?.message.contains("on TCP 8443") ?? false)
    // A namespace selector by label is not "every namespace".
    let narrow = open.replacingOccurrences(
      of: "namespaceSelector: {}", with: "namespaceSelector: {matchLabels: {team: x}}")
    #expect(
      Self.ids(try Self.findings(web + Self.denyAll + Self.allowDNS + narrow), "reachable-from-all-namespaces").isEmpty)
  }

  @Test func dnsBlockedByEgressDefaultDeny() throws {
    let web = Self.deployment("web", ns: "a", labels: "{app: web}")
    let dns = Self.deployment(
      "coredns", ns: "kube-system", labels: "{k8s-app: kube-dns}",
      ports: "[{name: dns, containerPort: 53, protocol: UDP}]")
    let blocked = try Self.findings(web + dns + Self.denyAll)
    #expect(Self.ids(blocked, "dns-blocked") == ["Deployment/a/web"])
    #expect(blocked.first { $0.check == "dns-blocked" }?.location?.line == 23)
    #expect(Self.ids(try Self.findings(web + dns + Self.denyAll + Self.allowDNS), "dns-blocked").isEmpty)
    // A TCP-only allowance does not let UDP DNS through.
    let tcpOnly = Self.allowDNS.replacingOccurrences(of: "protocol: UDP", with: "protocol: TCP")
    #expect(Self.ids(try Self.findings(web + dns + Self.denyAll + tcpOnly), "dns-blocked") == ["Deployment/a/web"])
    // Without DNS pods in the input, the kube-system k8s-app=kube-dns stand-in is assumed.
    let assumed = try Self.findings(web + Self.denyAll)
    #expect(assumed.first { $0.check == "dns-blocked" }?.message.contains("assumed") ?? false)
    #expect(Self.ids(try Self.findings(web + Self.denyAll + Self.allowDNS), "dns-blocked").isEmpty)
  }

  @Test func defaultDenyAndIsolationPerDirection() throws {
    let web = Self.deployment("web", ns: "a", labels: "{app: web}")
    let ingressOnly = """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: deny-in, namespace: a}
      spec: {podSelector: {}}
      """
    let found = try Self.findings(web + ingressOnly)
    #expect(Self.ids(found, "namespace-no-default-deny") == ["Namespace/a Egress"])
    #expect(Self.ids(found, "workload-not-isolated") == ["Deployment/a/web Egress"])
    // A policy for one app does not make a namespace default-deny.
    let oneApp = ingressOnly.replacingOccurrences(of: "podSelector: {}", with: "podSelector: {matchLabels: {app: web}}")
    #expect(
      Self.ids(try Self.findings(web + oneApp), "namespace-no-default-deny") == [
        "Namespace/a Egress", "Namespace/a Ingress",
      ])
    #expect(Self.ids(try Self.findings(web + Self.denyAll + Self.allowDNS), "namespace-no-default-deny").isEmpty)
  }

  @Test func selectsNothingAndNeverMatches() throws {
    let web = Self.deployment("web", ns: "a", labels: "{app: web}", ports: "[{name: http, containerPort: 8080}]")
    let policies = """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: typo, namespace: a}
      spec: {podSelector: {matchLabels: {app: wbe}}}
      ---
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: web, namespace: a}
      spec:
        podSelector: {matchLabels: {app: web}}
        ingress:
          - from: [{namespaceSelector: {matchLabels: {team: nobody}}}, {podSelector: {matchLabels: {app: ghost}}}]
          - ports: [{port: https}, {port: http}]
      """
    let found = try Self.findings(web + policies)
    #expect(Self.ids(found, "policy-selects-nothing") == ["NetworkPolicy/a/typo"])
    #expect(
      Self.ids(found, "rule-never-matches") == [
        "NetworkPolicy/a/web Ingress#1/peer#1/namespaces", "NetworkPolicy/a/web Ingress#1/peer#2/pods",
        "NetworkPolicy/a/web Ingress#2/port/https",
      ])
  }

  @Test func shadowedPolicy() throws {
    let web = Self.deployment("web", ns: "a", labels: "{app: web}")
    let api = Self.deployment("api", ns: "a", labels: "{app: api}")
    let broad = """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: broad, namespace: a}
      spec:
        podSelector: {matchLabels: {app: api}}
        ingress: [{from: [{podSelector: {}}], ports: [{port: 80}, {port: 443}]}]
      ---
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: narrow, namespace: a}
      spec:
        podSelector: {matchLabels: {app: api}}
        ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 80}]}]
      ---

      """
    let found = try Self.findings(web + api + broad)
    #expect(Self.ids(found, "policy-shadowed") == ["NetworkPolicy/a/narrow"])
    // Give the narrow policy a port the broad one lacks: it matters again.
    let wider = broad.replacingOccurrences(of: "ports: [{port: 80}]}]", with: "ports: [{port: 80}, {port: 8080}]}]")
    #expect(Self.ids(try Self.findings(web + api + wider), "policy-shadowed").isEmpty)
  }

  @Test func hostNetworkIsANote() throws {
    let found = try Self.findings(Self.deployment("agent", ns: "a", labels: "{app: agent}", hostNetwork: true))
    let note = found.first { $0.check == "host-network" }
    #expect(note?.severity == .note)
    #expect(note?.object.description == "Deployment/a/agent")
  }

  @Test func baselineMatchesByIdentityNotLine() throws {
    let web = Self.deployment("web", ns: "a", labels: "{app: web}")
    let moved = "# a comment that moves every line\n\n" + web
    let runner = CheckRunner()
    let report = runner.report(cluster: try Self.cluster(moved), baselines: [try Self.cluster(web)])
    #expect(report.findings.isEmpty)
    #expect(report.baselined == runner.findings(of: try Self.cluster(web)).count)
    #expect(report.baselined > 0)
  }

  /// Admin policy named ports: looked up on the subject's pods (ingress) and on the rule's peer
  /// pods (egress), any protocol.
  @Test func adminPolicyNamedPortsNoPodDeclares() throws {
    let web = Self.deployment("web", ns: "a", labels: "{app: web}", ports: "[{name: http, containerPort: 8080}]")
    let db = Self.deployment("db", ns: "a", labels: "{app: db}", ports: "[{name: grpc, containerPort: 9090}]")
    let anp = """
      apiVersion: policy.networking.k8s.io/v1alpha1
      kind: AdminNetworkPolicy
      metadata: {name: admin}
      spec:
        priority: 10
        subject: {namespaces: {}}
        ingress:
          - name: in
            action: Allow
            from: [{namespaces: {}}]
            ports: [{namedPort: http}, {namedPort: grpc}, {namedPort: metrics}]
        egress:
          - name: to-web
            action: Allow
            to: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}]
            ports: [{namedPort: http}, {namedPort: grpc}]
      """
    let cluster = try Self.cluster(web + db + anp)
    let found = CheckRunner().findings(of: cluster)
    #expect(
      Self.ids(found, "rule-never-matches") == [
        "AdminNetworkPolicy/admin Egress#1/port/grpc", "AdminNetworkPolicy/admin Ingress#1/port/metrics",
      ])
    let egress = found.first { $0.detail == "Egress#1/port/grpc" }
    #expect(
      egress?.message == "admin egress rule 'to-web': named port grpc is declared by no pod the rule's peers select")
    #expect(egress?.location == cluster.adminNetworkPolicies[0].egress[0].location)
    // The peers widened to every pod: grpc is declared by db, the finding goes.
    let wider = anp.replacingOccurrences(of: ", podSelector: {matchLabels: {app: web}}", with: "")
    #expect(
      Self.ids(try Self.findings(web + db + wider), "rule-never-matches") == [
        "AdminNetworkPolicy/admin Ingress#1/port/metrics"
      ])
  }

  /// AuthorizationPolicy principals, matched (exact, prefix*, *suffix, *) against the identities
  /// of the input's pods with the mesh stage's membership.
  @Test func principalsNoClientInTheMeshPresents() throws {
    func deployment(_ name: String, ns: String, sa: String) -> String {
      """
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: \(name), namespace: \(ns)}
      spec:
        selector: {matchLabels: {app: \(name)}}
        template:
          metadata: {labels: {app: \(name)}}
          spec: {serviceAccountName: \(sa), containers: [{name: c, image: i}]}
      ---

      """
    }
    let namespaces = """
      apiVersion: v1
      kind: Namespace
      metadata: {name: mesh, labels: {istio-injection: enabled}}
      ---
      apiVersion: v1
      kind: Namespace
      metadata: {name: legacy}
      ---

      """
    let policy = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: server, namespace: mesh}
      spec:
        selector: {matchLabels: {app: server}}
        action: ALLOW
        rules:
          - from:
              - source:
                  principals: [cluster.local/ns/mesh/sa/client, cluster.local/ns/legacy/sa/old, "*/sa/client"]
                  notPrincipals: [cluster.local/ns/nobody/sa/x]
          - from:
              - source: {principals: [cluster.local/ns/mesh/sa/clinet, "cluster.local/ns/legacy/*"]}
      """
    let workloads =
      deployment("server", ns: "mesh", sa: "server") + deployment("client", ns: "mesh", sa: "client")
      + deployment("old", ns: "legacy", sa: "old")
    let cluster = try Self.cluster(namespaces + workloads + policy)
    let found = CheckRunner().findings(of: cluster)
    #expect(
      Self.ids(found, "mesh-principal-never-matches").sorted() == [
        "AuthorizationPolicy/mesh/server principal/cluster.local/ns/legacy/*",
        "AuthorizationPolicy/mesh/server principal/cluster.local/ns/legacy/sa/old",
        "AuthorizationPolicy/mesh/server principal/cluster.local/ns/mesh/sa/clinet",
      ])
    let typo = found.first { $0.detail == "principal/cluster.local/ns/mesh/sa/clinet" }
    #expect(
      typo?.message
        == "AuthorizationPolicy mesh/server (ALLOW) rule #2: principal \"cluster.local/ns/mesh/sa/clinet\" can never match: no pod of the input runs as a matching service account"
    )
    #expect(typo?.severity == .warning)
    #expect(typo?.location == cluster.authorizationPolicies[0].location)
    let old = found.first { $0.detail == "principal/cluster.local/ns/legacy/sa/old" }
    #expect(
      old?.message.hasSuffix(
        "the pods running as cluster.local/ns/legacy/sa/old (workloads legacy/old) have no sidecar and are not in ambient mode, so they present no identity"
      ) == true)
    // legacy joins the mesh: only the misspelt service account is left.
    let injected = namespaces.replacingOccurrences(
      of: "{name: legacy}", with: "{name: legacy, labels: {istio-injection: enabled}}")
    #expect(
      Self.ids(try Self.findings(injected + workloads + policy), "mesh-principal-never-matches") == [
        "AuthorizationPolicy/mesh/server principal/cluster.local/ns/mesh/sa/clinet"
      ])
  }
}
