import Analysis
import Foundation
import KubeModel

/// What `kubereach report` puts on its page.
public struct HTMLReportInput: Sendable {
  /// The manifest paths analysed (shown escaped).
  public var paths: [String]
  /// The old version's paths, with `--before`.
  public var beforePaths: [String]
  public var workloads: Int
  public var policies: Int
  public var report: ConnectivityReport
  /// The graph of `report`, as Graphviz SVG.
  public var graphSVG: [UInt8]
  public var diff: DiffReport?
  public var diffSVG: [UInt8]?
  /// Warnings printed while loading and analysing, one per line.
  public var warnings: [String]

  public init(
    paths: [String], beforePaths: [String], workloads: Int, policies: Int, report: ConnectivityReport,
    graphSVG: [UInt8], diff: DiffReport?, diffSVG: [UInt8]?, warnings: [String]
  ) {
    self.paths = paths
    self.beforePaths = beforePaths
    self.workloads = workloads
    self.policies = policies
    self.report = report
    self.graphSVG = graphSVG
    self.diff = diff
    self.diffSVG = diffSVG
    self.warnings = warnings
  }
}

/// One self-contained HTML page: inline CSS, inline SVG, one inline script (search and sort),
/// no network fetch. Every string from the input is HTML-escaped; a Content-Security-Policy lets
/// only the page's own script (by its SHA-256) run, so markup that got past escaping could not.
public struct HTMLReportRenderer: Sendable {
  public init() {}

  /// The summary figures.
  public struct Summary: Sendable, Equatable {
    public var workloads: Int
    public var policies: Int
    public var allowedPairs: Int
    /// Workloads reachable from an external address or the ingress controller.
    public var exposedOutside: Int
    /// Workloads no ingress policy selects.
    public var notIsolated: Int
  }

  public static func summary(_ input: HTMLReportInput) -> Summary {
    var exposed: Set<String> = []
    for row in input.report.rows where row.source.isExternal || row.source.kind == .ingressController {
      if row.destination.namespace != nil { exposed.insert(row.destination.name) }
    }
    // Workloads no ingress policy selects.
    let notIsolated = Set(
      (input.report.exposure?.unprotected ?? []).filter { $0.direction == .ingress }.map(\.peer.name)
    ).count
    return Summary(
      workloads: input.workloads, policies: input.policies, allowedPairs: input.report.rows.count,
      exposedOutside: exposed.count, notIsolated: notIsolated)
  }

  /// `&`, `<`, `>`, `"` and `'` as character references.
  public static func escape(_ text: String) -> String {
    MarkupText.escape(text, apostrophe: "&#39;", replacingControlCharacters: false)
  }

  /// Graphviz SVG without its XML prolog, doctype and comments, for inlining.
  static func inlineSVG(_ bytes: [UInt8]) -> String {
    var text = String(decoding: bytes, as: UTF8.self)
    if let start = text.range(of: "<svg") { text = String(text[start.lowerBound...]) }
    while let open = text.range(of: "<!--"), let close = text.range(of: "-->", range: open.upperBound..<text.endIndex) {
      text.removeSubrange(open.lowerBound..<close.upperBound)
    }
    return text
  }

  static let script = """
    (function () {
      function cellText(row, i) { return row.cells[i].textContent; }
      document.querySelectorAll('table.sortable').forEach(function (table) {
        table.querySelectorAll('th').forEach(function (th, index) {
          th.addEventListener('click', function () {
            var ascending = th.getAttribute('aria-sort') !== 'ascending';
            table.querySelectorAll('th').forEach(function (other) { other.removeAttribute('aria-sort'); });
            th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
            var body = table.tBodies[0];
            var rows = Array.prototype.slice.call(body.rows);
            rows.sort(function (a, b) {
              var order = cellText(a, index).localeCompare(cellText(b, index), undefined, { numeric: true });
              return ascending ? order : -order;
            });
            rows.forEach(function (row) { body.appendChild(row); });
          });
        });
      });
      document.querySelectorAll('input.search').forEach(function (box) {
        var table = document.getElementById(box.getAttribute('data-table'));
        var counter = document.getElementById(box.getAttribute('data-counter'));
        box.addEventListener('input', function () {
          var needle = box.value.toLowerCase();
          var shown = 0;
          Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
            var match = row.textContent.toLowerCase().indexOf(needle) >= 0;
            row.hidden = !match;
            if (match) { shown += 1; }
          });
          counter.textContent = String(shown);
        });
      });
    })();
    """

  static let style = """
    body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 0; color: #1f2328; background: #ffffff; }
    header { background: #24292f; color: #ffffff; padding: 16px 24px; }
    header h1 { margin: 0; font-size: 22px; }
    header p { margin: 4px 0 0; color: #d0d7de; font-size: 13px; word-break: break-all; }
    main { padding: 16px 24px; }
    section { margin-bottom: 28px; }
    h2 { font-size: 18px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
    .figures { display: flex; flex-wrap: wrap; gap: 12px; }
    .figure { border: 1px solid #d0d7de; border-radius: 6px; padding: 10px 16px; min-width: 150px; }
    .figure .value { font-size: 26px; font-weight: bold; }
    .figure .name { font-size: 12px; color: #57606a; }
    .graph { border: 1px solid #d0d7de; border-radius: 6px; overflow: auto; max-height: 80vh; }
    .graph svg { max-width: 100%; height: auto; }
    table { border-collapse: collapse; font-size: 13px; width: 100%; }
    th, td { border-bottom: 1px solid #d8dee4; padding: 4px 8px; text-align: left; vertical-align: top; }
    th { cursor: pointer; background: #f6f8fa; position: sticky; top: 0; }
    th[aria-sort="ascending"]::after { content: " \\25B2"; }
    th[aria-sort="descending"]::after { content: " \\25BC"; }
    input.search { font-size: 14px; padding: 4px 8px; width: 320px; margin-bottom: 8px; }
    .added { color: #1a7f37; } .removed { color: #cf222e; } .changed { color: #d4760a; }
    ul.plain { padding-left: 18px; } code { word-break: break-all; }
    """

  public func render(_ input: HTMLReportInput) -> [UInt8] {
    Array(html(input).utf8)
  }

  public func html(_ input: HTMLReportInput) -> String {
    let e = Self.escape
    let summary = Self.summary(input)
    let scriptHash = Data(SHA256.hash(Array(Self.script.utf8))).base64EncodedString()
    var out = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-\(scriptHash)'">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>kubereach report</title>
      <style>
      \(Self.style)
      </style>
      </head>
      <body>
      <header>
      <h1>kubereach report</h1>
      <p>Input: \(input.paths.map { "<code>\(e($0))</code>" }.joined(separator: ", "))</p>

      """
    if !input.beforePaths.isEmpty {
      out +=
        "<p>Compared with: \(input.beforePaths.map { "<code>\(e($0))</code>" }.joined(separator: ", "))</p>\n"
    }
    out += "</header>\n<main>\n<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"figures\">\n"
    let figures: [(Int, String, String)] = [
      (summary.workloads, "workloads", "workloads"), (summary.policies, "policies", "policies"),
      (summary.allowedPairs, "allowed-pairs", "allowed connections (pairs)"),
      (summary.exposedOutside, "exposed-outside", "workloads reachable from outside the cluster"),
      (summary.notIsolated, "not-isolated", "workloads no ingress policy isolates"),
    ]
    for (value, id, name) in figures {
      out +=
        "<div class=\"figure\" id=\"figure-\(id)\"><div class=\"value\">\(value)</div><div class=\"name\">\(name)</div></div>\n"
    }
    out += "</div>\n</section>\n"
    out +=
      "<section id=\"graph\">\n<h2>Graph</h2>\n<div class=\"graph\">\n\(Self.inlineSVG(input.graphSVG))\n</div>\n</section>\n"
    if let diff = input.diff {
      out += "<section id=\"diff\">\n<h2>Changes from the old version</h2>\n"
      if let svg = input.diffSVG { out += "<div class=\"graph\">\n\(Self.inlineSVG(svg))\n</div>\n" }
      if diff.rows.isEmpty {
        out += "<p>No difference in allowed connectivity.</p>\n"
      } else {
        out += "<table class=\"sortable\" id=\"diff-table\">\n<thead><tr><th>change</th><th>source</th>"
        out += "<th>destination</th><th>before</th><th>after</th><th>workloads</th></tr></thead>\n<tbody>\n"
        for row in diff.rows {
          out +=
            "<tr class=\"\(row.kind.rawValue)\"><td>\(row.kind.rawValue)</td><td>\(e(row.source.name))</td><td>\(e(row.destination.name))</td>"
            + "<td>\(e(row.beforeText))</td><td>\(e(row.afterText))</td><td>\(e(DiffRendering.workloadInfo(row)))</td></tr>\n"
        }
        out += "</tbody>\n</table>\n"
      }
      out += "</section>\n"
    }
    out += """
      <section id="connections">
      <h2>Allowed connections</h2>
      <input class="search" id="search" type="search" placeholder="Filter connections" data-table="connection-table" data-counter="shown-count" aria-label="Filter connections">
      <span><span id="shown-count">\(input.report.rows.count)</span> of \(input.report.rows.count) shown</span>
      <table class="sortable" id="connection-table">
      <thead><tr><th>source</th><th>destination</th><th>connections</th></tr></thead>
      <tbody>

      """
    for row in input.report.rows {
      out +=
        "<tr><td>\(e(row.source.name))</td><td>\(e(row.destination.name))</td><td>\(e(row.connectionsText))</td></tr>\n"
    }
    out += "</tbody>\n</table>\n</section>\n"
    out += "<section id=\"exposure\">\n<h2>Exposure findings</h2>\n"
    if let exposure = input.report.exposure {
      if exposure.unprotected.isEmpty {
        out += "<p>Every workload is selected by a policy in both directions.</p>\n"
      } else {
        out += "<h3>Workloads no policy selects</h3>\n<ul class=\"plain\">\n"
        for line in exposure.unprotected.map(ExposureRendering.sentence).sorted() { out += "<li>\(e(line))</li>\n" }
        out += "</ul>\n"
      }
      let lines =
        exposure.ingress.map { ("ingress", $0.other.name, $0.exposed.name, ExposureRendering.connections($0)) }
        + exposure.egress.map { ("egress", $0.exposed.name, $0.other.name, ExposureRendering.connections($0)) }
      out += "<table class=\"sortable\" id=\"exposure-table\">\n<thead><tr><th>direction</th><th>from</th>"
      out += "<th>to</th><th>connections</th></tr></thead>\n<tbody>\n"
      for (direction, from, to, connections) in lines {
        out += "<tr><td>\(direction)</td><td>\(e(from))</td><td>\(e(to))</td><td>\(e(connections))</td></tr>\n"
      }
      out += "</tbody>\n</table>\n"
    }
    out += "</section>\n"
    if !input.warnings.isEmpty {
      out += "<section id=\"warnings\">\n<h2>Warnings</h2>\n<ul class=\"plain\">\n"
      for warning in input.warnings { out += "<li><code>\(e(warning))</code></li>\n" }
      out += "</ul>\n</section>\n"
    }
    out += "</main>\n<script>\(Self.script)</script>\n</body>\n</html>\n"
    return out
  }
}

/// SHA-256 (FIPS 180-4), for the page's Content-Security-Policy script hash.
enum SHA256 {
  static let k: [UInt32] = [
    0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
    0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
    0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
    0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
    0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
    0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
    0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
    0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
  ]

  static func hash(_ message: [UInt8]) -> [UInt8] {
    var h: [UInt32] = [
      0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]
    var data = message
    let bitLength = UInt64(message.count) * 8
    data.append(0x80)
    while data.count % 64 != 56 { data.append(0) }
    for shift in stride(from: 56, through: 0, by: -8) {
      data.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
    }
    func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    var w = [UInt32](repeating: 0, count: 64)
    for chunk in stride(from: 0, to: data.count, by: 64) {
      for i in 0..<16 {
        let b = chunk + i * 4
        w[i] = UInt32(data[b]) << 24 | UInt32(data[b + 1]) << 16 | UInt32(data[b + 2]) << 8 | UInt32(data[b + 3])
      }
      for i in 16..<64 {
        let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
        let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
        w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
      }
      var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
      for i in 0..<64 {
        let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
        let ch = (e & f) ^ (~e & g)
        let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
        let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
        let maj = (a & b) ^ (a & c) ^ (b & c)
        let t2 = s0 &+ maj
        (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
      }
      h[0] &+= a
      h[1] &+= b
      h[2] &+= c
      h[3] &+= d
      h[4] &+= e
      h[5] &+= f
      h[6] &+= g
      h[7] &+= hh
    }
    return h.flatMap { v in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> UInt32($0)) } }
  }
}
