import Foundation
import KubeModel
import Testing

@testable import Manifests

@Suite("Loading")
struct LoaderTests {
  @Test("empty, comment-only and [] documents contribute nothing")
  func emptyInputs() {
    for text in ["", "# only a comment\n", "[]", "---\n---\n", "{}"] {
      let result = loadClean(text)
      #expect(result.cluster.pods.isEmpty && result.cluster.namespaces.isEmpty, "\(text)")
    }
  }

  @Test("a Deployment becomes a workload with max(replicas, 1) pods named name-i")
  func deploymentExpansion() {
    let result = loadClean(
      """
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: shop}
      spec:
        replicas: 3
        template:
          metadata: {labels: {app: web}}
          spec:
            serviceAccountName: web-sa
            containers:
            - name: c
              ports:
              - {name: http, containerPort: 8080}
              - {containerPort: 53, protocol: UDP}
            initContainers:
            - name: init
              ports: [{containerPort: 9999}]
      ---
      apiVersion: apps/v1
      kind: StatefulSet
      metadata: {name: db, namespace: shop}
      spec:
        replicas: 0
        template: {metadata: {labels: {app: db}}}
      """)
    let c = result.cluster
    // The model lists workloads by namespace and name, pods by workload and name.
    #expect(c.workloads.map(\.displayName) == ["shop/db[StatefulSet]", "shop/web[Deployment]"])
    #expect(c.pods.map(\.name) == ["db-0", "web-0", "web-1", "web-2"])
    let pod = c.pods[1]
    #expect(pod.labels == ["app": "web"])
    #expect(pod.serviceAccount == "web-sa")
    #expect(
      pod.ports == [
        ContainerPort(name: "http", port: 8080), ContainerPort(port: 53, protocol: .udp),
      ])
    #expect(c.pods[0].serviceAccount == "default")
    #expect(c.pods[0].workload == 0)
    #expect(pod.location == SourceLocation(file: "test.yaml", document: 0, line: 1, column: 1))
    #expect(c.pods[0].location.document == 1)
  }

  @Test("DaemonSet, Job, CronJob and ReplicationController")
  func otherWorkloads() {
    let result = loadClean(
      """
      kind: DaemonSet
      metadata: {name: agent}
      spec: {template: {metadata: {labels: {a: agent}}, spec: {hostNetwork: true}}}
      ---
      kind: Job
      metadata: {name: batch}
      spec: {parallelism: 4, template: {metadata: {labels: {a: job}}}}
      ---
      kind: CronJob
      metadata: {name: nightly}
      spec: {jobTemplate: {spec: {template: {metadata: {labels: {a: cron}}}}}}
      ---
      kind: ReplicationController
      metadata: {name: rc}
      spec: {replicas: 2, template: {metadata: {labels: {a: rc}}}}
      """)
    let c = result.cluster
    #expect(c.workloads.map(\.kind) == [.daemonSet, .job, .cronJob, .replicationController])
    #expect(c.pods.count == 5)
    #expect(c.pods[0].hostNetwork)
    #expect(c.pods[2].labels == ["a": "cron"])
    #expect(c.workloads.allSatisfy { $0.namespace == "default" })
  }

  @Test("bare pods group by controlling owner; Node owners and missing controllers leave bare pods")
  func podOwners() {
    let result = loadClean(
      """
      apiVersion: v1
      kind: PodList
      items:
      - metadata:
          name: foo-7d77fb55cc-abcde
          namespace: ns
          labels: {app: foo}
          ownerReferences: [{kind: ReplicaSet, name: foo-7d77fb55cc, controller: true}]
        status: {podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1}, {ip: "fd00::1"}]}
      - metadata:
          name: foo-7d77fb55cc-fghij
          namespace: ns
          labels: {app: foo}
          ownerReferences: [{kind: ReplicaSet, name: foo-7d77fb55cc, controller: true}]
      - metadata:
          name: static
          namespace: ns
          ownerReferences: [{kind: Node, name: node1, controller: true}]
      - metadata:
          name: loose
          namespace: ns
          ownerReferences: [{kind: ReplicaSet, name: other}]
      """)
    let c = result.cluster
    #expect(
      c.workloads.map(\.displayName) == [
        "ns/foo-7d77fb55cc[ReplicaSet]", "ns/loose[Pod]", "ns/static[Pod]",
      ])
    #expect(c.pods.map(\.workload) == [0, 0, 1, 2])
    #expect(c.pods[0].ips.map(\.description) == ["10.0.0.1", "fd00::1"])
    #expect(c.namespaces.map(\.name) == ["ns"])
    #expect(c.namespaces[0].declared == false)
    #expect(
      result.diagnostics.contains { $0.code == .implicitNamespace && $0.severity == .warning })
  }

  @Test(
    "pods whose controlling owner reference has no kind group as one Pod workload named after it")
  func kindlessOwner() {
    let result = loadClean(
      """
      kind: Pod
      metadata: {name: pod-1, ownerReferences: [{name: internal-security, controller: true}]}
      ---
      kind: Pod
      metadata: {name: pod-2, ownerReferences: [{name: internal-security, controller: true}]}
      """)
    #expect(result.cluster.workloads.map(\.displayName) == ["default/internal-security[Pod]"])
    #expect(result.cluster.pods.map(\.name) == ["pod-1", "pod-2"])
  }

  @Test("pods owned by a workload object in the input join it instead of adding template pods")
  func podsJoinTheirWorkload() {
    let result = loadClean(
      """
      kind: Pod
      metadata:
        name: api-x1
        labels: {app: api}
        ownerReferences: [{kind: ReplicaSet, name: api-5f, controller: true}]
      ---
      kind: ReplicaSet
      apiVersion: apps/v1
      metadata:
        name: api-5f
        ownerReferences: [{kind: Deployment, name: api, controller: true}]
      spec: {replicas: 3, template: {metadata: {labels: {app: api}}}}
      ---
      kind: Deployment
      apiVersion: apps/v1
      metadata: {name: api}
      spec: {replicas: 3, template: {metadata: {labels: {app: api}}}}
      """)
    let c = result.cluster
    #expect(c.workloads.map(\.displayName) == ["default/api[Deployment]"])
    #expect(c.pods.map(\.name) == ["api-x1"])
  }

  @Test("typed lists take the item kind from the list kind; List items carry their own")
  func lists() {
    let result = loadClean(
      """
      {"kind": "NamespaceList", "items": [{"metadata": {"name": "a", "labels": {"team": "x"}}}]}
      ---
      kind: List
      items:
      - {kind: Namespace, metadata: {name: b}}
      - {kind: Secret, metadata: {name: s}, data: {password: c2VjcmV0}}
      - {kind: ConfigMap, metadata: {name: c}}
      ---
      - {kind: Namespace, metadata: {name: c}}
      """)
    let c = result.cluster
    #expect(c.namespaces.map(\.name) == ["a", "b", "c"])
    #expect(c.namespaces[0].labels == ["team": "x", namespaceNameLabel: "a"])
    #expect(result.skippedKinds == ["Secret": 1, "ConfigMap": 1])
  }

  @Test("JSON files load")
  func json() {
    let result = loadClean(
      #"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"selector": {"app": "x"}, "ports": [{"port": 80, "targetPort": "http"}]}}"#,
      file: "s.json")
    #expect(
      result.cluster.services.first?.ports == [ServicePort(port: 80, targetPort: .name("http"))])
  }

  @Test("Service fields")
  func service() {
    let result = loadClean(
      """
      kind: Service
      metadata: {name: front, namespace: web}
      spec:
        type: LoadBalancer
        externalTrafficPolicy: Local
        selector: {app: front}
        ports:
        - {name: http, port: 80, targetPort: 8080, nodePort: 30080, appProtocol: http}
        - {port: 53, protocol: UDP}
      ---
      kind: Service
      metadata: {name: manual}
      """)
    // Listed by namespace and name: default/manual, then web/front.
    let s = Array(result.cluster.services.reversed())
    #expect(s[0].type == .loadBalancer && s[0].externalTrafficPolicyLocal)
    #expect(
      s[0].ports == [
        ServicePort(
          name: "http", port: 80, targetPort: .number(8080), nodePort: 30080, appProtocol: "http"),
        ServicePort(port: 53, protocol: .udp),
      ])
    #expect(s[1].selector == nil)
  }

  @Test("Ingress v1 and v1beta1 backends, Route backends")
  func ingressAndRoute() {
    let result = loadClean(
      """
      apiVersion: networking.k8s.io/v1
      kind: Ingress
      metadata: {name: i}
      spec:
        defaultBackend: {service: {name: def, port: {number: 80}}}
        rules:
        - http:
            paths:
            - backend: {service: {name: api, port: {name: http}}}
      ---
      apiVersion: extensions/v1beta1
      kind: Ingress
      metadata: {name: old}
      spec:
        rules:
        - http: {paths: [{backend: {serviceName: legacy, servicePort: 8080}}]}
      ---
      apiVersion: route.openshift.io/v1
      kind: Route
      metadata: {name: r}
      spec:
        to: {kind: Service, name: main}
        alternateBackends: [{kind: Service, name: canary}]
        port: {targetPort: web}
      """)
    let i = result.cluster.ingresses
    #expect(
      i[0].backends == [
        ServiceBackend(service: "def", port: .number(80)),
        ServiceBackend(service: "api", port: .name("http")),
      ])
    #expect(i[1].backends == [ServiceBackend(service: "legacy", port: .number(8080))])
    #expect(i[2].kind == .route)
    #expect(
      i[2].backends == [
        ServiceBackend(service: "main", port: .name("web")),
        ServiceBackend(service: "canary", port: .name("web")),
      ])
  }

  @Test("NetworkPolicy: policyTypes defaults, peers, ports and rule locations")
  func networkPolicy() {
    let result = loadClean(
      """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: np, namespace: shop}
      spec:
        podSelector: {matchLabels: {app: db}}
        ingress:
        - from:
          - podSelector: {matchLabels: {app: api}}
            namespaceSelector: {}
          - namespaceSelector:
              matchExpressions: [{key: env, operator: In, values: [prod]}]
          - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
          ports:
          - port: 5432
          - {port: metrics, protocol: TCP}
          - {port: 7000, endPort: 7010, protocol: SCTP}
        - {}
        egress: []
      ---
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: egress-only}
      spec:
        podSelector: {}
        egress:
        - to: []
      ---
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: explicit}
      spec:
        policyTypes: [Egress]
      """)
    // Listed by namespace and name: default/egress-only, default/explicit, shop/np.
    let sorted = result.cluster.networkPolicies
    #expect(sorted.map(\.name) == ["egress-only", "explicit", "np"])
    let nps = [sorted[2], sorted[0], sorted[1]]
    #expect(nps.count == 3)
    let np = nps[0]
    #expect(np.isolatesIngress && !np.isolatesEgress)
    #expect(np.ingress.count == 2)
    #expect(
      np.ingress[0].peers == [
        .selector(pods: LabelSelector(matchLabels: ["app": "api"]), namespaces: .everything),
        .selector(
          pods: nil,
          namespaces: LabelSelector(matchExpressions: [
            LabelRequirement(key: "env", operator: .in, values: ["prod"])
          ])),
        .ipBlock(IPBlock(cidr: CIDR("10.0.0.0/8")!, except: [CIDR("10.1.0.0/16")!])),
      ])
    #expect(
      np.ingress[0].ports == [
        NetworkPolicyPort(port: .number(5432)), NetworkPolicyPort(port: .name("metrics")),
        NetworkPolicyPort(protocol: .sctp, port: .number(7000), endPort: 7010),
      ])
    #expect(np.ingress[0].location.line == 7 && np.ingress[0].location.column == 5)
    #expect(np.ingress[1].peers.isEmpty && np.ingress[1].ports.isEmpty)
    #expect(nps[1].isolatesIngress && nps[1].isolatesEgress && nps[1].egress.count == 1)
    #expect(nps[1].namespace == "default")
    #expect(!nps[2].isolatesIngress && nps[2].isolatesEgress)
  }

  @Test("AdminNetworkPolicy and BaselineAdminNetworkPolicy")
  func adminPolicies() {
    let result = loadClean(
      """
      apiVersion: policy.networking.k8s.io/v1alpha1
      kind: AdminNetworkPolicy
      metadata: {name: anp}
      spec:
        priority: 10
        subject: {pods: {namespaceSelector: {matchLabels: {t: a}}, podSelector: {}}}
        ingress:
        - name: r1
          action: Pass
          from: [{namespaces: {}}]
          ports:
          - portNumber: {protocol: UDP, port: 53}
          - namedPort: http
          - portRange: {start: 1000, end: 2000}
        egress:
        - name: r2
          action: Deny
          to:
          - networks: [10.0.0.0/8]
          - nodes: {matchLabels: {role: infra}}
          - pods: {namespaceSelector: {}, podSelector: {matchLabels: {x: y}}}
      ---
      apiVersion: policy.networking.k8s.io/v1alpha1
      kind: BaselineAdminNetworkPolicy
      metadata: {name: default}
      spec:
        subject: {namespaces: {}}
        ingress: [{name: deny-all, action: Deny, from: [{namespaces: {}}]}]
      """)
    let anp = result.cluster.adminNetworkPolicies[0]
    #expect(anp.priority == 10)
    #expect(
      anp.subject == .pods(namespaces: LabelSelector(matchLabels: ["t": "a"]), pods: .everything))
    #expect(anp.ingress[0].action == .pass)
    #expect(anp.ingress[0].ports == [.number(.udp, 53), .named("http"), .range(.tcp, 1000, 2000)])
    #expect(
      anp.egress[0].peers == [
        .networks([CIDR("10.0.0.0/8")!]), .nodes(LabelSelector(matchLabels: ["role": "infra"])),
        .pods(.pods(namespaces: .everything, pods: LabelSelector(matchLabels: ["x": "y"]))),
      ])
    #expect(anp.egress[0].ports == nil)
    let banp = result.cluster.baselineAdminNetworkPolicies[0]
    #expect(banp.isBaseline && banp.subject == .namespaces(.everything))
  }

  @Test("Istio PeerAuthentication, DestinationRule and AuthorizationPolicy")
  func mesh() {
    let result = loadClean(
      """
      apiVersion: security.istio.io/v1beta1
      kind: PeerAuthentication
      metadata: {name: pa, namespace: shop}
      spec:
        selector: {matchLabels: {app: db}}
        mtls: {mode: STRICT}
        portLevelMtls: {8080: {mode: DISABLE}}
      ---
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: dr, namespace: shop}
      spec:
        host: db.shop.svc.cluster.local
        trafficPolicy:
          tls: {mode: ISTIO_MUTUAL}
          portLevelSettings: [{port: {number: 8080}, tls: {mode: DISABLE}}]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: ap, namespace: shop}
      spec:
        action: DENY
        rules:
        - from: [{source: {principals: [cluster.local/ns/a/sa/b], requestPrincipals: ["*"]}}]
          to: [{operation: {ports: ["8080"], methods: [GET]}}]
          when: [{key: a, values: [b]}]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: allow-nothing, namespace: shop}
      spec: {}
      """)
    let c = result.cluster
    #expect(
      c.peerAuthentications[0].mode == .strict
        && c.peerAuthentications[0].portModes == [8080: .some(.disable)])
    #expect(c.peerAuthentications[0].selector == ["app": "db"])
    #expect(
      c.destinationRules[0].tlsMode == .istioMutual
        && c.destinationRules[0].portTLSModes == [8080: .some(.disable)])
    // Listed by namespace and name: shop/allow-nothing, then shop/ap.
    let ap = c.authorizationPolicies[1]
    #expect(ap.action == .deny)
    #expect(ap.rules?[0].from[0].principals == ["cluster.local/ns/a/sa/b"])
    #expect(ap.rules?[0].from[0].usesHTTPFields == true)
    #expect(ap.rules?[0].to[0].ports == ["8080"] && ap.rules?[0].to[0].usesHTTPFields == true)
    #expect(ap.rules?[0].hasConditions == true)
    #expect(ap.rules?[0].from[0].requestPrincipals == ["*"] && ap.rules?[0].to[0].methods == ["GET"])
    #expect(ap.rules?[0].when == [AuthorizationCondition(key: "a", values: ["b"])])
    #expect(c.authorizationPolicies[0].action == .allow && c.authorizationPolicies[0].rules == nil)
  }

  @Test("kinds of other API groups are skipped, not decoded")
  func foreignGroups() {
    let result = loadClean(
      """
      apiVersion: projectcalico.org/v3
      kind: NetworkPolicy
      metadata: {name: calico}
      spec: {selector: all(), types: [Ingress]}
      ---
      apiVersion: k8s.cni.cncf.io/v1beta1
      kind: MultiNetworkPolicy
      metadata: {name: m}
      """)
    #expect(result.cluster.networkPolicies.isEmpty)
    #expect(
      result.skippedKinds == [
        "NetworkPolicy (projectcalico.org)": 1, "MultiNetworkPolicy (k8s.cni.cncf.io)": 1,
      ])
  }

  @Test("unknown fields are ignored; anchors and aliases are expanded")
  func aliases() {
    let result = loadClean(
      """
      kind: Deployment
      metadata: {name: a, somethingNew: {x: 1}}
      spec:
        template:
          metadata: {labels: &labels {app: a, tier: web}}
      ---
      kind: Deployment
      metadata: {name: b}
      spec: {template: {metadata: {labels: {app: b}}}}
      """)
    #expect(result.cluster.workloads[0].podLabels == ["app": "a", "tier": "web"])
    let shared = loadClean(
      """
      kind: NetworkPolicy
      metadata: {name: np}
      spec:
        podSelector: &sel {matchLabels: {app: a}}
        ingress: [{from: [{podSelector: *sel}]}]
      """)
    #expect(
      shared.cluster.networkPolicies[0].ingress[0].peers == [
        .selector(pods: LabelSelector(matchLabels: ["app": "a"]), namespaces: nil)
      ])
  }

  @Test("merge keys (<<) supply fields and labels the mapping does not set")
  func mergeKeys() throws {
    let result = loadClean(
      """
      kind: List
      items:
      - kind: Deployment
        metadata: {name: base}
        spec: &spec
          replicas: 2
          template:
            metadata:
              labels: &common {team: a, tier: web}
      - kind: Deployment
        metadata: {name: derived}
        spec:
          <<: *spec
          replicas: 1
          template:
            metadata:
              labels:
                <<: [*common, {extra: x, team: ignored}]
                tier: api
      - kind: Deployment
        metadata: {name: inherited}
        spec:
          <<: *spec
      """)
    let w = result.cluster.workloads
    try #require(w.count == 3)
    #expect(w[0].podLabels == ["team": "a", "tier": "web"])
    #expect(w[1].podLabels == ["team": "a", "tier": "api", "extra": "x"])
    #expect(w[2].podLabels == ["team": "a", "tier": "web"])
    #expect(result.cluster.pods.map(\.workload) == [0, 0, 1, 2, 2])
  }

  @Test("unread subtrees are not stored, but label keys that share their names are kept")
  func unreadSubtrees() {
    let result = loadClean(
      """
      kind: Deployment
      metadata:
        name: d
        annotations: {a: &note "x"}
        labels: {image: nginx, data: "yes"}
      spec:
        selector: {matchLabels: {env: prod, command: run}}
        template:
          metadata: {labels: {image: nginx, args: "1"}}
          spec:
            containers:
            - name: c
              image: nginx
              env: &env [{name: A, value: "1"}, {name: B, valueFrom: {secretKeyRef: {name: s, key: k}}}]
              resources: {limits: {cpu: 1}}
              ports: [{containerPort: 80}]
            - name: d
              env: *env
              command: [sh, *note]
      """)
    #expect(result.cluster.workloads.first?.podLabels == ["image": "nginx", "args": "1"])
    #expect(result.cluster.pods.first?.ports == [ContainerPort(port: 80)])
  }

  @Test("verbose loads note every skipped object")
  func verboseNotes() {
    let result = ManifestLoader.load(
      yaml: "kind: ConfigMap\nmetadata: {name: c}\n", options: LoadOptions(verbose: true))
    #expect(result.diagnostics.map(\.code.rawValue) == ["skipped-kind"])
    #expect(result.diagnostics.first?.severity == .note)
  }

  @Test("replicas beyond the cap are modelled as maxReplicas pods, with a warning")
  func replicaCap() {
    let result = ManifestLoader.load(
      yaml: "kind: Deployment\nmetadata: {name: big}\nspec: {replicas: 100000}\n",
      options: LoadOptions(maxReplicas: 5))
    #expect(result.cluster.pods.count == 5)
    #expect(
      result.diagnostics.filter { $0.severity == .warning }.map(\.code.rawValue).contains("replicas-capped"))
  }

  @Test("the IPv4 CIDR fast path agrees with the model's parser")
  func cidrFastPath() {
    let samples = [
      "10.0.0.0/8", "0.0.0.0/0", "255.255.255.255/32", "1.2.3.4/33", "1.2.3/24", "1.2.3.4.5/8",
      "256.0.0.0/8",
      "01.2.3.4/8", "1.2.3.4/", "1.2.3.4", "/8", "a.b.c.d/8", "1..2.3/8", "fd00::/8",
      "::ffff:1.2.3.4/128",
      "1.2.3.4/008", "1.2.3.4/-1", "",
    ]
    for text in samples {
      #expect(CIDRParser.parse(text) == CIDR(text), "\(text)")
    }
  }

  @Test("files and folders: recursive, sorted, manifest extensions only; missing paths are errors")
  func paths() throws {
    let dir = FileManagerHelper.temporaryDirectory()
    try FileManagerHelper.write("kind: Namespace\nmetadata: {name: b}\n", to: "\(dir)/sub/b.yml")
    try FileManagerHelper.write("kind: Namespace\nmetadata: {name: a}\n", to: "\(dir)/a.yaml")
    try FileManagerHelper.write(
      #"{"kind": "Namespace", "metadata": {"name": "c"}}"#, to: "\(dir)/c.JSON")
    try FileManagerHelper.write(
      "kind: Namespace\nmetadata: {name: ignored}\n", to: "\(dir)/notes.txt")
    let result = ManifestLoader.load(paths: [dir, "\(dir)/missing"])
    #expect(result.cluster.namespaces.map(\.name) == ["a", "b", "c"])
    #expect(result.cluster.namespaces[0].location.file == "\(dir)/a.yaml")
    #expect(result.diagnostics.map(\.code.rawValue) == ["path-not-found"])
    #expect(result.bytesRead > 0)
  }
}
