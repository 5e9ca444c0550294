import Foundation
import KubeModel

/// Options of a manifest load.
public struct LoadOptions: Sendable {
  /// Also report a note for every skipped object.
  public var verbose: Bool = false
  /// The most pods modelled for one workload object (larger `replicas` are capped, with a warning).
  public var maxReplicas: Int = 100
  /// Bounds against hostile YAML.
  public var limits: YAMLLimits = YAMLLimits()

  public init(verbose: Bool = false, maxReplicas: Int = 100, limits: YAMLLimits = YAMLLimits()) {
    self.verbose = verbose
    self.maxReplicas = max(1, maxReplicas)
    self.limits = limits
  }
}

/// What a load produced: the model, every problem found (sorted), and what was left out.
public struct LoadResult: Sendable {
  public var cluster: Cluster
  /// Sorted, without repeats. Any `.error` makes the input unusable.
  public var diagnostics: [Diagnostic]
  /// Kinds that were read but not modelled, with how many objects of each.
  public var skippedKinds: [String: Int]
  /// Bytes of input read.
  public var bytesRead: Int

  public init(
    cluster: Cluster, diagnostics: [Diagnostic], skippedKinds: [String: Int], bytesRead: Int
  ) {
    self.cluster = cluster
    self.diagnostics = diagnostics
    self.skippedKinds = skippedKinds
    self.bytesRead = bytesRead
  }

  /// True when some diagnostic is an error.
  public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// Reads Kubernetes manifests (YAML or JSON, multi-document, lists) into a `Cluster`.
public enum ManifestLoader {
  /// Loads files and folders. Folders are searched recursively for `.yaml`, `.yml` and `.json`
  /// files, in sorted order; `-` reads standard input.
  public static func load(paths: [String], options: LoadOptions = .init()) -> LoadResult {
    var session = LoadSession(options: options)
    for path in paths {
      if path == "-" {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        session.load(data: data, file: "<stdin>")
        continue
      }
      switch FileDiscovery.files(at: path) {
      case .success(let files):
        for file in files {
          guard let data = FileDiscovery.contents(of: file) else {
            session.context.append(.error("unreadable-file", "cannot read file '\(file)'", at: nil))
            continue
          }
          session.load(data: data, file: file)
        }
      case .failure(let diagnostic):
        session.context.append(diagnostic)
      }
    }
    return session.finish()
  }

  /// Loads manifests given as text; `file` names them in locations.
  public static func load(yaml: String, file: String = "<string>", options: LoadOptions = .init())
    -> LoadResult
  {
    var session = LoadSession(options: options)
    var text = yaml
    text.withUTF8 { session.load(bytes: $0, file: file) }
    return session.finish()
  }

  /// Loads manifests given as raw bytes (which may be invalid UTF-8); `file` names them.
  public static func load(bytes: [UInt8], file: String = "<bytes>", options: LoadOptions = .init())
    -> LoadResult
  {
    var session = LoadSession(options: options)
    bytes.withUnsafeBufferPointer { session.load(bytes: $0, file: file) }
    return session.finish()
  }
}

/// The state of one load: one reused document buffer, the decode context and the builder.
struct LoadSession {
  let options: LoadOptions
  let context = DecodeContext()
  let builder: ClusterBuilder
  let document = YAMLDocument()
  var bytesRead = 0

  init(options: LoadOptions) {
    self.options = options
    self.builder = ClusterBuilder(options: options)
    context.verbose = options.verbose
  }

  mutating func load(data: Data, file: String) {
    data.withUnsafeBytes { raw in
      load(bytes: raw.bindMemory(to: UInt8.self), file: file)
    }
  }

  mutating func load(bytes: UnsafeBufferPointer<UInt8>, file: String) {
    bytesRead += bytes.count
    context.file = file
    let decoder = ObjectDecoder(context: context, builder: builder)
    let reader = YAMLReader(file: file, limits: options.limits)
    let context = self.context
    if let problem = reader.read(
      bytes, into: document,
      handler: { doc, index in
        guard let root = doc.root else { return }
        context.document = index
        decoder.decode(document: YNode(doc: doc, index: root))
      })
    {
      context.append(problem)
    }
  }

  func finish() -> LoadResult {
    let cluster = builder.finish()
    var all = Diagnostics()
    all.append(contentsOf: context.diagnostics)
    all.append(contentsOf: builder.diagnostics)
    return LoadResult(
      cluster: cluster, diagnostics: all.sorted, skippedKinds: builder.skippedKinds,
      bytesRead: bytesRead)
  }
}

/// Finds the manifest files under a path.
enum FileDiscovery {
  static let extensions: Set<String> = ["yaml", "yml", "json"]

  /// A file's bytes: mapped for regular files, read for pipes and other special files
  /// (`<(kubectl get ...)`).
  static func contents(of path: String) -> Data? {
    let type =
      (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
    if type == .typeRegular,
      let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    {
      return data
    }
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    return (try? handle.readToEnd()).map { $0 ?? Data() }
  }

  /// The path itself when it is a file; the manifest files below it, sorted, when a folder.
  static func files(at path: String) -> Result<[String], Diagnostic> {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      return .failure(.error("path-not-found", "'\(path)' does not exist", at: nil))
    }
    guard isDirectory.boolValue else { return .success([path]) }
    guard let enumerator = FileManager.default.enumerator(atPath: path) else {
      return .failure(.error("unreadable-file", "cannot list folder '\(path)'", at: nil))
    }
    var found: [String] = []
    let base = path.hasSuffix("/") ? String(path.dropLast()) : path
    while let relative = enumerator.nextObject() as? String {
      let ext = relative.split(separator: ".").last.map { $0.lowercased() } ?? ""
      guard relative.contains("."), extensions.contains(ext) else { continue }
      let full = "\(base)/\(relative)"
      var childIsDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: full, isDirectory: &childIsDirectory),
        !childIsDirectory.boolValue
      {
        found.append(full)
      }
    }
    return .success(found.sorted())
  }
}
