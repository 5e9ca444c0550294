import Foundation
import KubeModel
import Testing

@testable import Manifests

/// Inputs that used to be misread without a word: each now gives a located diagnostic.
@Suite("Input that tells the truth")
struct InputTruthTests {
  static let policyHeader = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: np, namespace: shop}
    spec:

    """

  func load(_ yaml: String, options: LoadOptions = .init()) -> LoadResult {
    ManifestLoader.load(yaml: yaml, file: "in.yaml", options: options)
  }

  func only(_ code: String, in result: LoadResult) -> [Diagnostic] {
    result.diagnostics.filter { $0.code.rawValue == code }
  }

  // MARK: - Unknown fields

  @Test func misspeltMatchLabelsIsALocatedError() {
    let result = load(Self.policyHeader + "  podSelector: {matchLabel: {app: api}}\n")
    let errors = only("unknown-field", in: result)
    #expect(errors.count == 1)
    #expect(errors.first?.severity == .error)
    #expect(errors.first?.location?.line == 5 && errors.first?.location?.column == 17)
    #expect(errors.first?.message.contains("did you mean 'matchLabels'?") == true)
  }

  @Test func unknownFieldsAnywhereInANetworkPolicySpec() {
    let cases = [
      "  podSelector: {}\n  ingres: []\n",
      "  podSelector: {}\n  ingress:\n  - from: [{podSelector: {}, namspaceSelector: {}}]\n",
      "  podSelector: {}\n  egress:\n  - to: [{ipBlock: {cidr: 10.0.0.0/8, excpt: []}}]\n",
      "  podSelector: {}\n  egress:\n  - ports: [{port: 80, protocl: UDP}]\n",
      "  podSelector:\n    matchExpressions: [{key: a, operator: Exists, value: []}]\n",
    ]
    for body in cases {
      let result = load(Self.policyHeader + body)
      #expect(only("unknown-field", in: result).count == 1, "\(body)")
      #expect(result.hasErrors, "\(body)")
    }
  }

  @Test func unknownTopLevelAndMetadataFieldsOfAPolicy() {
    let result = load(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, lables: {a: b}}\nspce: {}\n")
    #expect(only("unknown-field", in: result).map { $0.location?.line } == [3, 4])
  }

  @Test func everyStandardMetadataFieldIsAccepted() {
    let result = load(
      """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: np
        namespace: shop
        uid: 9f0c
        resourceVersion: "12"
        generation: 3
        creationTimestamp: "2024-01-01T00:00:00Z"
        labels: {a: b}
        annotations: {note: x}
        finalizers: [x]
        managedFields: [{manager: kubectl}]
        ownerReferences: []
        generateName: np-
      spec: {podSelector: {}}
      status: {anything: goes}
      """)
    #expect(only("unknown-field", in: result).isEmpty)
  }

  @Test func adminPolicyInAnOlderAPIShapeIsAnError() {
    let result = load(
      """
      apiVersion: policy.networking.k8s.io/v1alpha1
      kind: AdminNetworkPolicy
      metadata: {name: old}
      spec:
        priority: 10
        subject:
          namespaces:
            namespaceSelector: {matchLabels: {team: a}}
      """)
    let errors = only("unknown-field", in: result)
    #expect(errors.count == 1)
    #expect(errors.first?.location?.line == 8)
    #expect(errors.first?.message.contains("spec.subject.namespaces") == true)
  }

  @Test func unknownFieldsInBaselineAndIstioSecurityKinds() {
    let banp = load(
      """
      apiVersion: policy.networking.k8s.io/v1alpha1
      kind: BaselineAdminNetworkPolicy
      metadata: {name: default}
      spec:
        priority: 3
        subject: {namespaces: {}}
      """)
    #expect(only("unknown-field", in: banp).count == 1)
    let authz = load(
      """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: a, namespace: shop}
      spec:
        selector: {matchLabels: {app: db}}
        action: DENY
        rules:
        - from: [{source: {principal: [x]}}]
          to: [{operation: {ports: ["5432"]}}]
          when: [{key: "request.auth.claims[iss]", values: [a]}]
      """)
    #expect(only("unknown-field", in: authz).map { $0.location?.line } == [8])
    let peer = load(
      """
      apiVersion: security.istio.io/v1beta1
      kind: PeerAuthentication
      metadata: {name: p, namespace: shop}
      spec:
        selector: {matchLabels: {app: db}}
        mtls: {mode: STRICT}
        portLevelMtls: {"8080": {mode: DISABLE, extra: 1}}
      """)
    #expect(only("unknown-field", in: peer).map { $0.location?.line } == [7])
  }

  @Test func workloadSelectorsAreStrictButTheRestOfAPodSpecIsNot() {
    let result = load(
      """
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: d, namespace: shop}
      spec:
        selector: {matchLabel: {app: d}}
        strategy: {type: Recreate}
        template:
          metadata: {labels: {app: d}}
          spec:
            schedulerName: custom
            someFutureField: true
            containers: [{name: c, image: x, workingDir: /}]
      """)
    #expect(only("unknown-field", in: result).map { $0.location?.line } == [5])
    #expect(result.hasErrors)
  }

  @Test func lenientTurnsUnknownFieldErrorsIntoWarnings() {
    let result = load(
      Self.policyHeader + "  podSelector: {matchLabel: {app: api}}\n",
      options: LoadOptions(lenient: true))
    #expect(!result.hasErrors)
    #expect(only("unknown-field", in: result).map(\.severity) == [.warning])
  }

  @Test func unknownPortFieldsOfServicesAndContainersAreWarnings() {
    let result = load(
      """
      apiVersion: v1
      kind: Service
      metadata: {name: s, namespace: shop}
      spec:
        selector: {app: a}
        ports: [{port: 80, targetport: 8080}]
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: p, namespace: shop, labels: {app: a}}
      spec:
        containers:
        - name: c
          ports: [{containerport: 80, containerPort: 80}]
      """)
    #expect(!result.hasErrors)
    let warnings = only("unknown-field", in: result)
    #expect(warnings.map(\.severity) == [.warning, .warning])
    #expect(warnings.map { $0.location?.line } == [6, 14])
  }

  @Test func invalidObjectNamesAreLocatedWarnings() {
    let result = load(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: UPPER_bad, namespace: shop}\n")
    let warnings = only("invalid-name", in: result)
    #expect(warnings.count == 1)
    #expect(warnings.first?.location?.line == 3)
    #expect(!result.hasErrors)
    let namespace = load("apiVersion: v1\nkind: Namespace\nmetadata: {name: team.a}\n")
    #expect(only("invalid-name", in: namespace).count == 1)
    #expect(KubernetesNames.isDNSSubdomain("a.b-c"))
    #expect(!KubernetesNames.isDNSLabel("a.b"))
  }

  // MARK: - Duplicate keys

  @Test func fusedDocumentsAreOneErrorSuggestingASeparator() {
    let result = load(
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n"
    )
    let errors = only("duplicate-key", in: result)
    #expect(errors.count == 1)
    #expect(errors.first?.location?.line == 4)
    #expect(errors.first?.message.contains("lines 1 and 4") == true)
    #expect(errors.first?.message.contains("'---'") == true)
  }

  @Test func nestedDuplicateKeyNamesBothLinesWithoutTheSeparatorHint() {
    let result = load(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    app: a\n    app: b\n")
    let errors = only("duplicate-key", in: result)
    #expect(errors.count == 1)
    #expect(errors.first?.location?.line == 7)
    #expect(errors.first?.message.contains("lines 6 and 7") == true)
    #expect(errors.first?.message.contains("---") == false)
  }

  @Test func manyKeyMappingsFindTheirDuplicatesToo() {
    let labels = (0..<40).map { "    k\($0): v" }.joined(separator: "\n")
    let result = load(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n\(labels)\n    k7: w\n")
    #expect(only("duplicate-key", in: result).map { $0.location?.line } == [46])
  }

  // MARK: - Policy kinds not evaluated

  @Test func cniPolicyKindsAreWarnedAboutByName() {
    let result = load(
      """
      apiVersion: cilium.io/v2
      kind: CiliumNetworkPolicy
      metadata: {name: deny, namespace: shop}
      ---
      apiVersion: projectcalico.org/v3
      kind: NetworkPolicy
      metadata: {name: calico, namespace: shop}
      ---
      apiVersion: crd.antrea.io/v1beta1
      kind: ClusterNetworkPolicy
      metadata: {name: acnp}
      ---
      apiVersion: k8s.ovn.org/v1
      kind: EgressFirewall
      metadata: {name: default, namespace: shop}
      ---
      apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: {name: pdb, namespace: shop}
      """)
    let warnings = only("unevaluated-policy", in: result)
    #expect(warnings.count == 4)
    #expect(warnings.allSatisfy { $0.severity == .warning })
    #expect(warnings[0].message.contains("'shop/deny'"))
    #expect(result.unevaluatedPolicyKinds.values.reduce(0, +) == 4)
    #expect(result.unevaluatedPolicySummary?.contains("4 policy objects") == true)
    #expect(load("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n").unevaluatedPolicySummary == nil)
  }

  // MARK: - Kinds that create pods kubereach does not model

  @Test func operatorWorkloadsAndPodTemplatesAreWarnedAbout() {
    let result = load(
      """
      apiVersion: monitoring.coreos.com/v1
      kind: Prometheus
      metadata: {name: k8s, namespace: monitoring}
      spec: {replicas: 2}
      ---
      apiVersion: argoproj.io/v1alpha1
      kind: Rollout
      metadata: {name: api, namespace: shop}
      spec: {workloadRef: {apiVersion: apps/v1, kind: Deployment, name: api}}
      ---
      apiVersion: serving.knative.dev/v1
      kind: Service
      metadata: {name: hello, namespace: shop}
      spec:
        template:
          spec:
            containers: [{image: hello}]
      ---
      apiVersion: v1
      kind: PodTemplate
      metadata: {name: t, namespace: shop}
      template:
        spec:
          containers: [{name: c, image: x}]
      ---
      apiVersion: example.com/v1
      kind: Widget
      metadata: {name: w, namespace: shop}
      spec: {size: 3}
      """)
    let warnings = only("unmodelled-workload", in: result)
    #expect(warnings.map { $0.location?.line } == [1, 6, 11])
    #expect(warnings.allSatisfy { $0.severity == .warning })
    #expect(
      warnings.first?.message.contains("Prometheus (monitoring.coreos.com) 'monitoring/k8s' creates pods") == true)
  }

  // MARK: - Objects declared twice

  static func write(_ files: [String: String]) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kubereach-truth-\(UUID().uuidString)")
    for (name, text) in files {
      let url = dir.appendingPathComponent(name)
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try text.write(to: url, atomically: true, encoding: .utf8)
    }
    return dir.path
  }

  @Test func identicalDeclarationsAreOneObjectWithAWarningWhateverTheOrder() throws {
    let dir = try Self.write([
      "a.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: sock-shop\n  labels: {team: a}\n",
      "b.yaml":
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: sock-shop\n  labels: {team: a}\n  annotations: {x: y}\n",
    ])
    let forward = ManifestLoader.load(paths: ["\(dir)/a.yaml", "\(dir)/b.yaml"])
    let backward = ManifestLoader.load(paths: ["\(dir)/b.yaml", "\(dir)/a.yaml"])
    #expect(!forward.hasErrors)
    #expect(forward.cluster.namespaces.count == 1)
    #expect(forward.diagnostics == backward.diagnostics)
    #expect(ClusterContents(forward.cluster) == ClusterContents(backward.cluster))
    #expect(forward.cluster.namespaces.first?.location.file.hasSuffix("a.yaml") == true)
    let warning = only("duplicate-object", in: forward)
    #expect(warning.count == 1 && warning[0].severity == .warning)
    #expect(warning[0].message.contains("a.yaml:1:1") && warning[0].message.contains("b.yaml:1:1"))
  }

  @Test func differingDeclarationsStayErrorsNamingBothPlaces() throws {
    let dir = try Self.write([
      "a.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns, labels: {team: a}}\n",
      "b.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns, labels: {team: b}}\n",
    ])
    for order in [["a.yaml", "b.yaml"], ["b.yaml", "a.yaml"]] {
      let result = ManifestLoader.load(paths: order.map { "\(dir)/\($0)" })
      let errors = only("duplicate-object", in: result)
      #expect(errors.count == 1 && errors[0].severity == .error)
      #expect(errors[0].message.contains("a.yaml:1:1") && errors[0].message.contains("b.yaml:1:1"))
      #expect(errors[0].location?.file.hasSuffix("b.yaml") == true)
    }
  }

  @Test func twoDifferentPoliciesUnderOneNameAreAnError() {
    let result = load(
      Self.policyHeader + "  podSelector: {}\n---\n" + Self.policyHeader
        + "  podSelector: {matchLabels: {a: b}}\n")
    #expect(only("duplicate-object", in: result).map(\.severity) == [.error])
  }

  // MARK: - Sources that are not manifests yet

  @Test func helmChartFoldersAreOneErrorEachAndNotRead() throws {
    let dir = try Self.write([
      "charts/web/Chart.yaml": "apiVersion: v2\nname: web\n",
      "charts/web/templates/deploy.yaml": "kind: Deployment\nmetadata:\n  name: {{ .Values.name }}\n",
      "charts/web/templates/svc.yaml": "kind: Service\n{{- if .Values.x }}\n",
      "charts/api/Chart.yaml": "apiVersion: v2\nname: api\n",
      "plain/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: plain}\n",
    ])
    let result = ManifestLoader.load(paths: [dir])
    let errors = result.diagnostics.filter { $0.severity == .error }
    #expect(errors.map(\.code.rawValue) == ["helm-chart", "helm-chart"])
    #expect(errors.allSatisfy { $0.message.contains("helm template") })
    #expect(result.cluster.namespaces.map(\.name) == ["plain"])
  }

  @Test func kustomizationFoldersAreRefusedWhole() throws {
    let dir = try Self.write([
      "kustomization.yaml": "resources: [base/deploy.yaml]\npatches: [patch.yaml]\n",
      "base/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n",
      "patch.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 3}\n",
    ])
    let result = ManifestLoader.load(paths: [dir])
    #expect(result.diagnostics.filter { $0.severity == .error }.map(\.code.rawValue) == ["kustomization"])
    #expect(result.diagnostics.first?.message.contains("kubectl kustomize") == true)
    #expect(result.cluster.workloads.isEmpty)
    let file = ManifestLoader.load(paths: ["\(dir)/kustomization.yaml"])
    #expect(file.diagnostics.map(\.code.rawValue) == ["kustomization"])
  }

  @Test func templateMarksInASyntaxErrorSayToRender() {
    let result = load("kind: Service\nmetadata:\n  name: x\n{{- if .Values.x }}\n")
    #expect(result.diagnostics.first { $0.code == .yamlSyntax }?.message.contains("helm template") == true)
  }

  @Test func jsonLinesAreAStreamOfDocuments() {
    let result = load(
      """
      {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}}

      {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"x","labels":{"a":"b"}}}
      {"apiVersion":"v1","kind":"Pod","metadata":{"name":"q","namespace":"x","labels":{"a":"b"}},"spec":{"containers":[{"ports":[{"containerPort":0}]}]}}
      """)
    #expect(result.cluster.pods.map(\.name) == ["p", "q"])
    let portError = result.diagnostics.first { $0.code == .invalidPort }
    #expect(portError?.location?.line == 4)
    #expect(portError?.location?.document == 2)
  }

  // MARK: - Namespaces

  @Test func defaultNamespaceOption() {
    let yaml =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: q, namespace: other}\n---\n"
      + Self.policyHeader.replacingOccurrences(of: ", namespace: shop", with: "") + "  podSelector: {}\n"
    let result = load(yaml, options: LoadOptions(defaultNamespace: "argocd"))
    #expect(result.cluster.pods.map(\.namespace) == ["argocd", "other"])
    #expect(result.cluster.networkPolicies.map(\.namespace) == ["argocd"])
  }

  @Test func implicitNamespaceWarningIsOncePerNamespaceAndTruthful() {
    let pods = (0..<5).map { "apiVersion: v1\nkind: Pod\nmetadata: {name: p\($0), namespace: shop}\n" }
    let result = load(pods.joined(separator: "---\n"))
    let warnings = only("implicit-namespace", in: result)
    #expect(warnings.count == 1)
    #expect(warnings.first?.message.contains("kubernetes.io/metadata.name=shop") == true)
  }
}
