import KubeModel
import Manifests
import Reachability
import Testing

@testable import PolicyGen

@Suite struct GeneratorTests {
  static let manifests = """
    apiVersion: v1
    kind: Namespace
    metadata: {name: shop}
    ---
    apiVersion: v1
    kind: Namespace
    metadata: {name: web}
    ---
    apiVersion: v1
    kind: Pod
    metadata:
      name: api-0
      namespace: shop
      labels: {app: api, pod-template-hash: abc, tier: backend}
    spec:
      containers:
        - name: c
          ports: [{name: grpc, containerPort: 9090}]
    ---
    apiVersion: v1
    kind: Pod
    metadata:
      name: worker-0
      namespace: shop
      labels: {app: api, pod-template-hash: def, tier: worker}
    spec:
      containers: [{name: c}]
    ---
    apiVersion: v1
    kind: Pod
    metadata:
      name: twin-a
      namespace: shop
      labels: {app: twin}
    spec:
      containers: [{name: c}]
    ---
    apiVersion: v1
    kind: Pod
    metadata:
      name: twin-b
      namespace: shop
      labels: {app: twin}
    spec:
      containers: [{name: c}]
    ---
    apiVersion: v1
    kind: Pod
    metadata:
      name: frontend
      namespace: web
      labels: {app.kubernetes.io/name: frontend, app: web}
    spec:
      containers: [{name: c}]
    ---
    apiVersion: v1
    kind: Pod
    metadata:
      name: node-agent
      namespace: web
      labels: {app: agent}
    spec:
      hostNetwork: true
      containers: [{name: c}]
    """

  static func cluster(_ extra: String = "") -> Cluster {
    let r = ManifestLoader.load(yaml: manifests + extra, file: "m.yaml")
    #expect(!r.hasErrors, "\(r.diagnostics)")
    return r.cluster
  }

  static func flows(_ cluster: Cluster, _ text: String) -> [ResolvedFlow] {
    let read = try! FlowReader.read(.bytes(Array(text.utf8), name: "flows"), format: .ours)
    let (flows, problems) = FlowResolver(cluster: cluster).resolve(read.flows)
    #expect(problems.isEmpty, "\(problems)")
    return flows
  }

  static func verify(_ cluster: Cluster, _ result: GenerationResult, _ flows: [ResolvedFlow], defaultDeny: Bool)
    -> VerificationReport
  {
    PolicyVerifier.verify(
      bytes: result.render(.yaml), cluster: cluster, flows: flows,
      baseline: Set(result.policies.filter(\.role.isBaseline).map(\.key)), defaultDeny: defaultDeny)
  }

  func policy(_ r: GenerationResult, _ name: String) -> NetworkPolicy? {
    r.policies.first { $0.policy.name == name }?.policy
  }

  @Test func stableSelectorsNamedPortsNamespacesAndIPBlocks() throws {
    let c = Self.cluster()
    let flows = Self.flows(c, "web/frontend,shop/api-0,TCP,9090\nweb/frontend,203.0.113.0/24,TCP,443,2\n")
    let r = PolicyGenerator.fromFlows(cluster: c, flows: flows, defaultDeny: false, allowDNS: false)
    let ingress = try #require(policy(r, "allow-ingress-to-api-0"))
    // `app: api` also takes in worker-0, and pod-template-hash (which would tell them apart)
    // is never used: the smallest exact set is tier=backend.
    #expect(ingress.podSelector.matchLabels == ["tier": "backend"])
    let selected = c.pods.filter { $0.namespace == "shop" && ingress.podSelector.matches($0.labels) }.map(\.name)
    #expect(selected == ["api-0"])
    #expect(ingress.ingress.first?.ports == [NetworkPolicyPort(protocol: .tcp, port: .name("grpc"))])
    #expect(
      ingress.ingress.first?.peers == [
        .selector(
          pods: LabelSelector(matchLabels: ["app.kubernetes.io/name": "frontend"]),
          namespaces: LabelSelector(matchLabels: [namespaceNameLabel: "web"]))
      ])
    let egress = try #require(policy(r, "allow-egress-from-frontend"))
    #expect(egress.egress.count == 2)
    #expect(egress.egress[1].peers == [.ipBlock(IPBlock(cidr: CIDR("203.0.113.0/24")!))])
    #expect(egress.egress[1].ports == [NetworkPolicyPort(protocol: .tcp, port: .number(443))])
    let annotations = try #require(r.policies.first { $0.policy.name == "allow-egress-from-frontend" }?.annotations)
    #expect(annotations[PolicyGenerator.flowsKey] == "2")
    #expect(annotations[PolicyGenerator.countKey] == "3")
    #expect(r.diagnostics.isEmpty)
    let report = Self.verify(c, r, flows, defaultDeny: false)
    #expect(report.passed && report.checked == 2 && report.failures.isEmpty)
  }

  @Test func aSelectorThatCannotBeExactIsReportedAndShowsInTheGap() throws {
    let c = Self.cluster()
    let flows = Self.flows(c, "web/frontend,shop/twin-a,TCP,80\n")
    let r = PolicyGenerator.fromFlows(cluster: c, flows: flows, defaultDeny: true, allowDNS: false)
    #expect(r.diagnostics.map(\.code.rawValue) == ["selector-not-exact"])
    #expect(r.diagnostics.first?.message.contains("twin-b") == true)
    let annotations = try #require(r.policies.first { $0.policy.name == "allow-ingress-to-twin-a" }?.annotations)
    #expect(annotations[PolicyGenerator.alsoSelectsKey] == "twin-b")
    let report = Self.verify(c, r, flows, defaultDeny: true)
    #expect(report.passed)
    let gap = try #require(report.gap)
    #expect(
      gap.map { "\(c.workloads[$0.source].name)->\(c.workloads[$0.destination].name) \($0.connections)" } == [
        "frontend->twin-b TCP 80"
      ])
  }

  @Test func wholeWorkloadFlowsUnderDefaultDenyLeaveNoGap() {
    let c = Self.cluster()
    let flows = Self.flows(c, "web/frontend,shop/api-0,TCP,9090\nshop/worker-0,web/frontend,UDP,53\n")
    let r = PolicyGenerator.fromFlows(cluster: c, flows: flows, defaultDeny: true, allowDNS: false)
    let report = Self.verify(c, r, flows, defaultDeny: true)
    #expect(report.passed)
    #expect(report.gap == [])
    #expect(r.policies.filter { $0.role == .defaultDeny }.map(\.policy.namespace) == ["shop", "web"])
  }

  @Test func verificationCatchesPoliciesThatAreTooTight() {
    let c = Self.cluster()
    let flows = Self.flows(c, "web/frontend,shop/api-0,TCP,9090\n")
    let denyOnly = PolicyGenerator.defaultDeny(cluster: c, allowDNS: false)
    let report = Self.verify(c, denyOnly, flows, defaultDeny: false)
    #expect(!report.passed)
    #expect(report.failures.count == 1)
    #expect(report.failures.first?.reason.contains("egress denied") == true)
    #expect(report.lines(in: c).contains { $0.hasPrefix("verify: FAILED web/frontend -> shop/api-0 TCP/9090") })
  }

  @Test func adminDeniedAndHostNetworkFlowsAreNotAdmissible() {
    let anp = """

      ---
      apiVersion: policy.networking.k8s.io/v1alpha1
      kind: AdminNetworkPolicy
      metadata: {name: no-web-to-twins}
      spec:
        priority: 5
        subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}
        ingress:
          - name: deny-web
            action: Deny
            from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: web}}}]
      """
    let c = Self.cluster(anp)
    let flows = Self.flows(c, "web/frontend,shop/twin-b,TCP,80\nweb/node-agent,shop/api-0,TCP,9090\n")
    let r = PolicyGenerator.fromFlows(cluster: c, flows: flows, defaultDeny: false, allowDNS: false)
    let report = Self.verify(c, r, flows, defaultDeny: false)
    #expect(report.passed)
    #expect(report.checked == 0)
    #expect(report.notAdmissible.count == 2)
    #expect(report.notAdmissible[0].reason.contains("AdminNetworkPolicy no-web-to-twins rule deny-web"))
    #expect(report.notAdmissible[1].reason.contains("host network"))
  }

  @Test func outputIsDeterministicAndReadsBack() {
    let c = Self.cluster()
    let text = "web/frontend,shop/api-0,TCP,9090\nshop/twin-a,web/frontend,TCP,80\nweb/frontend,10.0.0.0/8,UDP,53\n"
    let a = PolicyGenerator.fromFlows(cluster: c, flows: Self.flows(c, text), defaultDeny: true, allowDNS: true)
    let b = PolicyGenerator.fromFlows(cluster: c, flows: Self.flows(c, text), defaultDeny: true, allowDNS: true)
    #expect(a.render(.yaml) == b.render(.yaml))
    #expect(a.render(.json) == b.render(.json))
    let yaml = ManifestLoader.load(bytes: a.render(.yaml), file: "y").cluster.networkPolicies
    let json = ManifestLoader.load(bytes: a.render(.json), file: "j").cluster.networkPolicies
    func strip(_ p: [NetworkPolicy]) -> [NetworkPolicy] {
      p.map {
        var q = $0
        q.location = .synthetic("x")
        q.ingress = q.ingress.map {
          var r = $0
          r.location = .synthetic("x")
          return r
        }
        q.egress = q.egress.map {
          var r = $0
          r.location = .synthetic("x")
          return r
        }
        return q
      }
    }
    #expect(strip(yaml) == strip(json))
    #expect(yaml.count == a.policies.count)
  }

  @Test func defaultDenyPerNamespaceWithDNS() throws {
    let dns = """

      ---
      apiVersion: v1
      kind: Namespace
      metadata: {name: kube-system}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: coredns-0, namespace: kube-system, labels: {k8s-app: kube-dns}}
      spec:
        containers:
          - name: c
            ports: [{name: dns, containerPort: 1053, protocol: UDP}, {name: dns-tcp, containerPort: 1053}]
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: kube-dns, namespace: kube-system}
      spec:
        selector: {k8s-app: kube-dns}
        ports: [{name: dns, port: 53, targetPort: dns, protocol: UDP}, {name: dns-tcp, port: 53, targetPort: dns-tcp}]
      """
    let c = Self.cluster(dns)
    let found = DNSTarget(cluster: c)
    #expect(found.origin == "the pods behind Service kube-system/kube-dns")
    #expect(found.podLabels == ["k8s-app": "kube-dns"])
    #expect(found.ports == [.init(protocol: .tcp, port: 1053), .init(protocol: .udp, port: 1053)])
    let r = PolicyGenerator.defaultDeny(cluster: c, namespaces: ["web", "kube-system"], allowDNS: true)
    #expect(
      r.policies.map(\.key) == [
        "kube-system/default-deny", "kube-system/allow-dns-egress", "kube-system/allow-dns-ingress", "web/default-deny",
        "web/allow-dns-egress",
      ])
    let flows = PolicyGenerator.dnsFlows(cluster: c, namespaces: ["web"])
    #expect(flows.count == 2)
    let report = Self.verify(c, r, flows, defaultDeny: false)
    #expect(report.passed && report.checked == 2)
    // Without the Service: the fallback.
    let fallback = DNSTarget(cluster: Self.cluster())
    #expect(fallback.pods.isEmpty && fallback.namespace == "kube-system")
    #expect(fallback.ports == [.init(protocol: .tcp, port: 53), .init(protocol: .udp, port: 53)])
  }

  @Test func simulateGivesVerdictsAndReasons() {
    let c = Self.cluster()
    let flows = Self.flows(c, "web/frontend,shop/api-0,TCP,9090\n")
    let r = PolicyGenerator.fromFlows(cluster: c, flows: flows, defaultDeny: true, allowDNS: false)
    let policies = ManifestLoader.load(bytes: r.render(.yaml), file: "g").cluster.networkPolicies
    let allowed = Simulator.run(cluster: PolicyVerifier.merge(c, policies), flows: flows)
    #expect(allowed.broken.isEmpty && allowed.flows.count == 1)
    let reasons = allowed.flows[0].explanations.flatMap { $0.groups.flatMap { $0.ingress.reasons.map(\.policy) } }
    #expect(reasons == ["shop/allow-ingress-to-api-0"])
    let denyOnly = ManifestLoader.load(
      bytes: PolicyGenerator.defaultDeny(cluster: c, allowDNS: false).render(.yaml), file: "d"
    ).cluster.networkPolicies
    let denied = Simulator.run(cluster: PolicyVerifier.merge(c, denyOnly), flows: flows)
    #expect(denied.broken.count == 1)
  }

  @Test func unresolvedFlowsAreReportedWithTheirLine() throws {
    let c = Self.cluster()
    let read = try FlowReader.read(
      .bytes(Array("web/frontend,shop/api-0,TCP,9090\nweb/ghost,shop/api-0,TCP,1\n".utf8), name: "f"))
    let (flows, problems) = FlowResolver(cluster: c).resolve(read.flows)
    #expect(flows.count == 1)
    #expect(
      problems.map(\.description) == [
        "f:2:1: warning: flow web/ghost -> shop/api-0 TCP/1 not used: source web/ghost matches no workload, pod or Service of the manifests [unresolved-flow]"
      ])
  }

  @Test func intentsResolveServicesAndServedPorts() throws {
    let service = """

      ---
      apiVersion: v1
      kind: Service
      metadata: {name: api-svc, namespace: shop}
      spec:
        selector: {app: api, tier: backend}
        ports: [{name: grpc, port: 80, targetPort: grpc}]
      """
    let c = Self.cluster(service)
    let intents = """
      apiVersion: k8s.otterize.com/v2alpha1
      kind: ClientIntents
      metadata: {name: web, namespace: web}
      spec:
        workload: {name: frontend}
        targets:
          - service: {name: api-svc.shop}
          - kubernetes: {name: twin-a.shop}
          - kubernetes: {name: nothing-here}
      """
    let read = try FlowReader.read(.bytes(Array(intents.utf8), name: "intents.yaml"))
    let (flows, problems) = FlowResolver(cluster: c).resolve(read.flows)
    // The Service's named target port resolves on its backend; twin-a declares no port.
    #expect(flows.map { $0.summary(in: c) } == ["web/frontend -> shop/api-0 TCP/9090"])
    #expect(problems.map(\.location?.line) == [8, 9])
    #expect(problems[0].message.contains("declares no port"))
    #expect(problems[1].message.contains("web/nothing-here matches no workload"))
  }

  @Test func hubbleEndpointsResolveByWorkloadReplicaSetPodNameAndLabels() throws {
    let deployment = """

      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: cart, namespace: shop}
      spec:
        replicas: 2
        selector: {matchLabels: {app: cart}}
        template:
          metadata: {labels: {app: cart, tier: backend}}
          spec: {containers: [{name: c}]}
      """
    let c = Self.cluster(deployment)
    let resolver = FlowResolver(cluster: c)
    func name(_ e: FlowEndpoint) -> String {
      switch resolver.peers(e) {
      case .success(let p): return p.map { $0.name(in: c) }.joined(separator: ",")
      case .failure(let u): return "unresolved: " + u.why
      }
    }
    #expect(name(.hubble(namespace: "shop", workload: "cart", pod: nil, labels: [])) == "shop/cart")
    #expect(name(.hubble(namespace: "shop", workload: "cart-7d9c5b6f4", pod: nil, labels: [])) == "shop/cart")
    #expect(
      name(.hubble(namespace: "shop", workload: nil, pod: "cart-7d9c5b6f4-x2k8q", labels: ["app=cart"])) == "shop/cart")
    #expect(name(.hubble(namespace: "shop", workload: nil, pod: "api-0", labels: [])) == "shop/api-0")
    #expect(
      name(.hubble(namespace: "shop", workload: nil, pod: "elsewhere", labels: ["tier=backend", "app=cart"]))
        == "shop/cart")
    #expect(
      name(.hubble(namespace: "shop", workload: nil, pod: "x", labels: ["app=twin"])).hasPrefix(
        "unresolved: shop/x has labels that fit several workloads (twin-a, twin-b)"))
    #expect(name(.hubble(namespace: "shop", workload: "cart-v2", pod: nil, labels: [])).hasPrefix("unresolved"))
  }

  @Test func meshDenialsAreNotAdmissibleAndL7DependenciesAreTheirOwnOutcome() throws {
    let mesh = """
      apiVersion: v1
      kind: Namespace
      metadata: {name: app, labels: {istio-injection: enabled}}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: client, namespace: app, labels: {app: client}}
      spec: {serviceAccountName: client, containers: [{name: c}]}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: server, namespace: app, labels: {app: server}}
      spec: {serviceAccountName: server, containers: [{name: c, ports: [{containerPort: 8080}, {containerPort: 9000}]}]}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: no-9000, namespace: app}
      spec:
        selector: {matchLabels: {app: server}}
        action: DENY
        rules: [{to: [{operation: {ports: ["9000"]}}]}]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: only-get, namespace: app}
      spec:
        selector: {matchLabels: {app: server}}
        action: ALLOW
        rules: [{to: [{operation: {ports: ["8080"], methods: ["GET"]}}]}]
      """
    let loaded = ManifestLoader.load(yaml: mesh, file: "mesh.yaml")
    #expect(!loaded.hasErrors, "\(loaded.diagnostics)")
    let c = loaded.cluster
    let flows = Self.flows(c, "app/client,app/server,TCP,8080\napp/client,app/server,TCP,9000\n")
    let r = PolicyGenerator.fromFlows(cluster: c, flows: flows, defaultDeny: true, allowDNS: false)
    let report = Self.verify(c, r, flows, defaultDeny: true)
    #expect(report.passed)
    #expect(report.notAdmissible.map(\.flow.port) == [9000])
    #expect(report.notAdmissible.first?.reason.contains("AuthorizationPolicy app/no-9000") == true)
    let policies = ManifestLoader.load(bytes: r.render(.yaml), file: "g").cluster.networkPolicies
    let replay = Simulator.run(cluster: PolicyVerifier.merge(c, policies), flows: flows)
    #expect(replay.flows.map(\.outcome) == [.dependsOnL7, .denied])
    #expect(replay.broken.count == 1 && replay.dependsOnL7.count == 1)
  }
}
