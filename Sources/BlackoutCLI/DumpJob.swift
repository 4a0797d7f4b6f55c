#if canImport(Glibc)
import Glibc
#endif
import MRT
import MRTArchive
import MRTFormat

/// Reads files to elements, filters them and writes them in a format to standard output.
struct DumpJob<Formatter: ElementFormatter> {
    var files: [String]
    var formatter: Formatter
    var filter: ElementFilter
    var countOnly = false
    var strict = false
    var quiet = false
    /// How many diagnostics per file are printed before they are only counted.
    var diagnosticsPerFile = 20
    /// Threads decoding an uncompressed file (`ParallelElementStream`); 1 reads it sequentially.
    var threads = ParallelElementStream.availableCores
    /// Bytes of records per chunk on the parallel path.
    var chunkBytes = ParallelElementStream.Options().chunkBytes

    func run() -> DumpOutcome {
        var outcome = DumpOutcome()
        let sink = ByteSink(capacity: 1 << 20)
        let flushThreshold = 1 << 20 - 64 << 10
        var kept = 0
        var totals = ElementStream.Stats()
        var readerTotals = MRTReader.Stats()
        var compressedBytes: UInt64 = 0
        let clock = ContinuousClock()
        let started = clock.now
        let progress = Progress(enabled: StandardStreams.stderrIsTerminal && !StandardStreams.stdoutIsTerminal)
        var outputOpen = true

        let unfiltered = filter.isEmpty
        if !countOnly { formatter.writeHeader(to: sink) }
        fileLoop: for (fileIndex, path) in files.enumerated() {
            let source: ByteSource
            let compression: Compression
            do {
                (source, compression) = try Input.open(path)
            } catch {
                outcome.fatalError = error.description
                break
            }
            let options = MRTReader.Options(strict: strict)
            let reader = MRTReader(source: source, name: path, options: options)
            var shownDamage = 0
            var shownQuirks = 0
            let report: (MRTDiagnostic) -> Void = { d in
                if d.isDamage { outcome.damaged = true }
                if quiet { return }
                if !d.isDamage {
                    // Quirks read correctly (short record lengths): say it once per file.
                    shownQuirks += 1
                    if shownQuirks == 1 {
                        progress.clear()
                        StandardStreams.printError("blackout: note: \(d) (further corrections are counted in --stats)")
                    }
                    return
                }
                shownDamage += 1
                if shownDamage <= diagnosticsPerFile {
                    progress.clear()
                    StandardStreams.printError("blackout: warning: \(d)")
                } else if shownDamage == diagnosticsPerFile + 1 {
                    StandardStreams.printError("blackout: warning: \(path): further damage is counted but not shown (see --stats)")
                }
            }
            reader.onDiagnostic = report
            // An uncompressed file decodes on every core: framing stays sequential and its
            // records go in chunks to worker threads, whose output is written in file order.
            // Compressed input keeps its cores for decompression; --strict stops at the
            // first damage, which a sequential read reaches first.
            var fileStats = ElementStream.Stats()
            if threads > 1, compression == .none, !strict {
                let parallel = ParallelElementStream(
                    reader: reader, options: .init(threads: threads, chunkBytes: chunkBytes))
                do {
                    try parallel.run(decode: { stream, output in
                        formatChunk(stream, to: output, unfiltered: unfiltered)
                    }, consume: { chunk in
                        for d in chunk.diagnostics { report(d) }
                        merge(chunk.stats, into: &fileStats)
                        kept += chunk.value.kept
                        if let error = chunk.value.error {
                            outcome.fatalError = error
                            return false
                        }
                        if chunk.output.count > 0 {
                            if sink.count > 0, !StandardStreams.flush(sink) { outputOpen = false; return false }
                            if !StandardStreams.write(chunk.output.bytes, to: 1) { outputOpen = false; return false }
                        }
                        progress.update(file: fileIndex + 1, of: files.count, elements: kept,
                                        bytes: reader.stats.bytesRead, since: started)
                        return true
                    })
                } catch {
                    outcome.fatalError = "\(error)"
                }
            } else {
                let stream = ElementStream(reader: reader)
                stream.onDiagnostic = report
                do {
                    try stream.forEach { e in
                        guard unfiltered || filter.matches(e) else { return }
                        kept += 1
                        if countOnly { return }
                        formatter.write(e, to: sink)
                        if sink.count >= flushThreshold {
                            if !StandardStreams.flush(sink) { outputOpen = false; throw StopReading() }
                            progress.update(file: fileIndex + 1, of: files.count, elements: kept,
                                            bytes: reader.stats.bytesRead, since: started)
                        }
                    }
                } catch is StopReading {
                    // standard output closed (e.g. piped into head): stop quietly
                } catch {
                    outcome.fatalError = "\(error)"
                }
                fileStats = stream.stats
            }
            if reader.stats.records == 0, !quiet {
                if reader.stats.bytesRead == 0 {
                    StandardStreams.printError("blackout: warning: \(path): empty input, no MRT records")
                } else {
                    outcome.damaged = true
                    StandardStreams.printError("blackout: error: \(path): no MRT record found in \(reader.stats.bytesRead) bytes; is it an MRT archive?")
                }
            }
            merge(fileStats, into: &totals)
            merge(reader.stats, into: &readerTotals)
            if path != "-" { compressedBytes += UInt64(fileSize(path)) }
            if !outputOpen || outcome.fatalError != nil { break fileLoop }
        }
        progress.clear()
        if countOnly {
            sink.appendDecimal(UInt64(kept))
            sink.append(UInt8(ascii: "\n"))
        }
        if outputOpen { StandardStreams.flush(sink) }
        let elapsed = clock.now - started
        outcome.statsReport = StatsReport.render(
            stream: totals, reader: readerTotals, kept: kept, filtered: !filter.isEmpty,
            compressedBytes: compressedBytes, elapsed: elapsed)
        if totals.damagedRecords > 0 || totals.partialRecords > 0 || readerTotals.skippedBytes > 0 || readerTotals.truncatedRecords > 0
            || readerTotals.sourceFailures > 0 {
            outcome.damaged = true
        }
        return outcome
    }

    /// What a worker makes of one chunk besides its output: the elements kept.
    private struct ChunkOutput {
        var kept = 0
        var error: String?
    }

    /// Filters and formats one chunk's elements, on a worker thread: the same filter and
    /// formatter calls as the sequential loop, into the chunk's own buffer.
    private func formatChunk(_ stream: ElementStream, to output: ByteSink, unfiltered: Bool) -> ChunkOutput {
        let sink = countOnly ? nil : output
        var kept = 0
        var error: String?
        do {
            try stream.forEach { e in
                guard unfiltered || filter.matches(e) else { return }
                kept += 1
                if let sink { formatter.write(e, to: sink) }
            }
        } catch let e {
            error = "\(e)"
        }
        return ChunkOutput(kept: kept, error: error)
    }

    private func merge(_ s: ElementStream.Stats, into t: inout ElementStream.Stats) {
        for (k, v) in s.recordsByType { t.recordsByType[k, default: 0] += v }
        for i in 0..<4 { t.elementsByKind[i] += s.elementsByKind[i] }
        t.damagedRecords += s.damagedRecords
        t.unsupportedRecords += s.unsupportedRecords
        t.partialRecords += s.partialRecords
    }

    private func merge(_ s: MRTReader.Stats, into t: inout MRTReader.Stats) {
        t.records += s.records
        t.skippedBytes += s.skippedBytes
        t.correctedLengths += s.correctedLengths
        t.truncatedRecords += s.truncatedRecords
        t.sourceFailures += s.sourceFailures
        t.bytesRead += s.bytesRead
    }

    private func fileSize(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }
}

/// How a dump went: whether input was damaged, what stopped it, and the `--stats` text.
struct DumpOutcome {
    var damaged = false
    var fatalError: String?
    var statsReport = ""
}

private struct StopReading: Error {}
