import AuditEvent

/// Turning a firing detector into an alert, once per episode: after an alert
/// the detector and key stay quiet for the cool-down, and every further
/// firing in that time extends the quiet instead of raising another alert.
extension DetectionEngine {
    mutating func raise(
        _ detector: Detector,
        _ scope: Alert.Scope,
        _ c: Context,
        observed: Float,
        baseline: Baseline,
        z: Float,
        threshold: Float,
        logSpace: Bool = false,
        into alerts: inout [Alert]
    ) {
        // 0.5 at the threshold, 1 at twice the threshold.
        let score = Swift.min(1, Double(z / threshold) / 2)
        let floor: Float = logSpace ? 0.5 : 1
        let mean = logSpace ? Double(expm1f(baseline.mean)) : Double(baseline.mean)
        let spread = Double(baseline.spread(floor: floor, counts: !logSpace))
        emit(
            detector,
            scope,
            c,
            observed: Double(observed),
            mean: mean,
            spread: spread,
            score: score,
            windowStart: (Int64(c.bucket) - 1) * window + Int64(Double(window) * Double(c.fraction)),
            into: &alerts
        )
    }

    mutating func raiseRule(
        _ detector: Detector,
        _ scope: Alert.Scope,
        _ c: Context,
        observed: Double,
        score: Double,
        windowStart: Int64,
        mean: Double = 0,
        into alerts: inout [Alert]
    ) {
        emit(
            detector,
            scope,
            c,
            observed: observed,
            mean: mean,
            spread: 0,
            score: score,
            windowStart: windowStart,
            into: &alerts
        )
    }

    private mutating func emit(
        _ detector: Detector,
        _ scope: Alert.Scope,
        _ c: Context,
        observed: Double,
        mean: Double,
        spread: Double,
        score: Double,
        windowStart: Int64,
        into alerts: inout [Alert]
    ) {
        let quietBuckets = Int32(clamping: Int64(settings.cooldownSeconds) * 1_000_000 / window)
        let until = c.bucket &+ Swift.max(1, quietBuckets)
        // The quiet state of this detector and key.
        let isQuiet: Bool
        switch scope {
        case .member:
            let slot = Int(c.member) * Detector.allCases.count + detector.index
            isQuiet = quiet[slot] >= c.bucket
            quiet[slot] = until
        case .memberTool:
            if detector == .spike {
                isQuiet = pairs[Int(c.pair)].quietUntil >= c.bucket
                pairs[Int(c.pair)].quietUntil = until
            } else {
                // Rule detectors on a pair share the member's slot for the detector.
                let slot = Int(c.member) * Detector.allCases.count + detector.index
                isQuiet = quiet[slot] >= c.bucket
                quiet[slot] = until
            }
        case .tool:
            isQuiet = tools[Int(c.tool)].calls.quietUntil >= c.bucket
            tools[Int(c.tool)].calls.quietUntil = until
        case .tenant:
            isQuiet = tenants[Int(c.tenant)].quietUntil >= c.bucket
            tenants[Int(c.tenant)].quietUntil = until
        }
        guard !isQuiet else { return }
        let member = memberNames[Int(c.member)]
        let tool = toolNames[Int(c.tool)]
        let tenant = tenantNames[Int(c.tenant)]
        var alert = Alert(
            detector: detector,
            scope: scope,
            tenant: tenant.isEmpty ? nil : tenant,
            member: scope == .member || scope == .memberTool ? member : nil,
            tool: scope == .memberTool || scope == .tool ? tool : nil,
            at: c.event.occurredAt,
            windowStart: Timestamp(microsecondsSinceEpoch: Swift.min(windowStart, c.time)),
            windowEnd: c.event.occurredAt,
            observed: observed.rounded(toPlaces: 3),
            baselineMean: mean.rounded(toPlaces: 3),
            baselineSpread: spread.rounded(toPlaces: 3),
            score: score.rounded(toPlaces: 3),
            severity: Swift.max(
                1,
                Swift.min(detector.maxSeverity, Int((score * Double(detector.maxSeverity)).rounded()))
            ),
            contributingEventIDs: evidence(of: c.member),
            alertID: ""
        )
        alert.alertID = Alert.id(detector, scope, alert.key, episode: c.bucket)
        alerts.append(alert)
    }
}

extension Double {
    /// Rounded to a few decimals, so that alert text is short and stable.
    func rounded(toPlaces places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (self * scale).rounded() / scale
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
