package io.xmrec.core.data.synth;

/**
 * One market's fitted shape.
 *
 * @param users          users in the file
 * @param items          items the market's reviews name (its catalogue)
 * @param interactions   lines in the file
 * @param degree         quantiles of interactions per user
 * @param popularity     how concentrated the reviews are on the most reviewed items
 * @param ratings        share of ratings 1..5
 * @param time           when the reviews were written
 */
public record MarketShape(long users, long items, long interactions, double[] degree, Popularity popularity,
                          double[] ratings, Time time) {

    public double logPopSd() {
        return popularity.logPopSd();
    }

    public double top10Share() {
        return popularity.top10Share();
    }

    public double popNdcg() {
        return popularity.popNdcg();
    }

    public double[] days() {
        return time.days();
    }

    public double[] first() {
        return time.first();
    }

    public double[] span() {
        return time.span();
    }

    public double[][] spanByStart() {
        return time.spanByStart();
    }

    /**
     * A market's item popularity.
     *
     * @param logPopSd   standard deviation of log popularity that puts {@code top10Share} on the top tenth
     * @param top10Share share of interactions on the most reviewed tenth of the catalogue
     * @param popNdcg    test nDCG@10 of popularity under the leave-one-out protocol (99 sampled negatives):
     *                   how much of the market popularity alone predicts
     */
    public record Popularity(double logPopSd, double top10Share, double popNdcg) {
    }

    /**
     * A market's review dates.
     *
     * @param days        quantiles of the review date (epoch day)
     * @param first       quantiles of a user's first review date (epoch day)
     * @param span        quantiles of a user's span, first to last review, in days
     * @param spanByStart the same for the users of each fifth of first-review dates, earliest first
     */
    public record Time(double[] days, double[] first, double[] span, double[][] spanByStart) {
    }
}
