import KubeModel
import Testing

@Suite struct LabelSelectorTests {
  let labels = ["app": "web", "tier": "front"]

  @Test func emptySelectorMatchesEverything() {
    #expect(LabelSelector.everything.matches([:]))
    #expect(LabelSelector.everything.matches(labels))
  }

  @Test func matchLabelsAndExpressionsAreANDed() {
    let selector = LabelSelector(
      matchLabels: ["app": "web"], matchExpressions: [LabelRequirement(key: "tier", operator: .in, values: ["back"])])
    #expect(!selector.matches(labels))
    #expect(selector.matches(["app": "web", "tier": "back"]))
  }

  @Test(arguments: [
    (SelectorOperator.in, ["web"], true, false),
    (.notIn, ["web"], false, true),
    (.exists, [], true, false),
    (.doesNotExist, [], false, true),
  ])
  func operators(op: SelectorOperator, values: [String], onLabelled: Bool, onMissingKey: Bool) {
    let requirement = LabelRequirement(key: "app", operator: op, values: values)
    #expect(requirement.matches(labels) == onLabelled)
    #expect(requirement.matches(["other": "x"]) == onMissingKey)
  }

  @Test func labelSyntax() {
    #expect(LabelSyntax.isValidKey("app"))
    #expect(LabelSyntax.isValidKey("kubernetes.io/metadata.name"))
    #expect(!LabelSyntax.isValidKey("-app"))
    #expect(!LabelSyntax.isValidKey("a/b/c"))
    #expect(!LabelSyntax.isValidKey(String(repeating: "a", count: 64)))
    #expect(LabelSyntax.isValidValue(""))
    #expect(!LabelSyntax.isValidValue("has space"))
  }

  @Test func namespacesAlwaysCarryTheirNameLabel() {
    let ns = Namespace(name: "team-a", labels: ["team": "a"], location: .synthetic("t"))
    #expect(ns.labels[namespaceNameLabel] == "team-a")
  }
}

@Suite struct AddressTests {
  @Test func parsesAndPrintsIPv4() {
    #expect(IPAddress("10.1.2.3")?.description == "10.1.2.3")
    #expect(IPAddress("256.1.1.1") == nil)
    #expect(IPAddress("1.2.3") == nil)
  }

  @Test func parsesAndPrintsIPv6Canonically() {
    #expect(IPAddress("2001:db8:0:0:0:0:0:1")?.description == "2001:db8::1")
    #expect(IPAddress("::")?.description == "::")
    #expect(IPAddress("::ffff:10.0.0.1")?.value == (UInt128(0xffff) << 32 | 0x0A00_0001))
    #expect(IPAddress("1::2::3") == nil)
  }

  @Test func cidrRangesMaskHostBits() {
    #expect(CIDR("10.0.0.7/8")?.range.description == "10.0.0.0-10.255.255.255")
    #expect(CIDR("0.0.0.0/0")?.range == IPRange.all(.v4))
    #expect(CIDR("fd00::/8")?.range.description == "fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
    #expect(CIDR("10.0.0.0/33") == nil)
    #expect(CIDR("10.0.0.0") == nil)
  }

  @Test func rangesContainByFamily() {
    let block = CIDR("10.0.0.0/8")!.range
    #expect(block.contains(IPAddress("10.200.0.1")!))
    #expect(!block.contains(IPAddress("11.0.0.0")!))
    #expect(!IPRange.all(.v6).contains(IPAddress("10.0.0.1")!))
  }
}

@Suite struct DiagnosticTests {
  @Test func printsFileLineColumn() {
    let d = Diagnostic.error(.invalidCIDR, "bad CIDR", at: SourceLocation(file: "a.yaml", line: 3, column: 9))
    #expect(d.description == "a.yaml:3:9: error: bad CIDR [invalid-cidr]")
  }

  @Test func sortsByLocation() {
    let late = Diagnostic.warning(.unknownField, "w", at: SourceLocation(file: "a.yaml", line: 9, column: 1))
    let early = Diagnostic.error(.yamlSyntax, "e", at: SourceLocation(file: "a.yaml", line: 2, column: 1))
    #expect([late, early].sorted() == [early, late])
  }
}
