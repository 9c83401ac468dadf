import Detection
import Testing

@Suite("Series scores")
struct SeriesScorerTests {
    /// A steady series with small deterministic noise, then an outlier.
    let series: [Double] = (0..<200).map { 100 + Double(($0 * 37) % 11) - 5 } + [400, 101, 99]

    func scores(_ values: [Double]) -> [Double] {
        var scorer = SeriesScorer()
        return values.map { scorer.score($0) }
    }

    @Test("0 during warm-up, in [0, 1] after, the outlier near 1 and steady rows well below")
    func ranges() {
        let result = scores(series)
        #expect(result.prefix(10).allSatisfy { $0 == 0 })
        #expect(result.allSatisfy { (0...1).contains($0) })
        #expect(result[200] > 0.9999)
        #expect(result[20..<200].allSatisfy { $0 < 0.999 })
    }

    @Test("streaming: each score depends only on earlier rows")
    func streaming() {
        let full = scores(series)
        for cut in [15, 100, 201] { #expect(scores(Array(series.prefix(cut))) == Array(full.prefix(cut))) }
    }
}
