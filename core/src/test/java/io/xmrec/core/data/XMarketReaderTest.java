package io.xmrec.core.data;

import io.xmrec.core.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class XMarketReaderTest {

    @TempDir
    Path tmp;

    private Path file(String... lines) throws IOException {
        Path f = tmp.resolve("xx_5core.txt");
        Files.write(f, List.of(lines));
        return f;
    }

    @Test
    void readsHeaderAndLinesWithLineNumbersAsSequence() throws IOException {
        Path f = file("userId itemId rate date", "u1 i1 5.0 2016-06-13", "u2 i2 3.0 2016-06-12");
        MarketData d = XMarketReader.strict().read("de", f);
        assertEquals(2, d.interactions().size());
        Interaction first = d.interactions().get(0);
        assertEquals("u1", first.user());
        assertEquals("i1", first.item());
        assertEquals(5.0f, first.rating());
        assertEquals(LocalDate.of(2016, 6, 13).toEpochDay(), first.epochDay());
        assertEquals(2, first.seq());
        assertEquals(3, d.interactions().get(1).seq());
        assertEquals(Checksums.sha256Hex(f), d.sha256());
    }

    @Test
    void aUserOrItemIdOnManyLinesIsOneStringInMemory() throws IOException {
        Path f = file("userId itemId rate date", "u1 i1 5.0 2016-06-13", "u1 i2 3.0 2016-06-12", "u2 i1 4.0 2016-06-14");
        List<Interaction> d = XMarketReader.strict().read("de", f).interactions();
        assertSame(d.get(0).user(), d.get(1).user(), "u1 of lines 2 and 3");
        assertSame(d.get(0).item(), d.get(2).item(), "i1 of lines 2 and 4");
        assertEquals("u2", d.get(2).user());
    }

    @Test
    void wrongFieldCountFailsWithFileLineAndContent() throws IOException {
        Path f = file("userId itemId rate date", "u1 i1 5.0 2016-06-13", "u2 i2 2016-06-12");
        DataFormatException e = assertThrows(DataFormatException.class, () -> XMarketReader.strict().read("de", f));
        assertEquals(3, e.lineNumber());
        assertTrue(e.getMessage().contains(f.toString() + ":3"), e.getMessage());
        assertTrue(e.getMessage().contains("expected 4 fields, found 3"), e.getMessage());
        assertTrue(e.getMessage().contains("u2 i2 2016-06-12"), e.getMessage());
    }

    @Test
    void unparseableRatingOutOfRangeRatingAndBadDateFail() throws IOException {
        assertTrue(message("u1 i1 five 2016-06-13").contains("rating 'five' is not a number"));
        assertTrue(message("u1 i1 0.0 2016-06-13").contains("outside 1..5"));
        assertTrue(message("u1 i1 6 2016-06-13").contains("outside 1..5"));
        assertTrue(message("u1 i1 NaN 2016-06-13").contains("outside 1..5"));
        assertTrue(message("u1 i1 4.0 2016-13-01").contains("is not YYYY-MM-DD"));
        assertTrue(message("u1 i1 4.0 13/06/2016").contains("is not YYYY-MM-DD"));
    }

    private String message(String line) throws IOException {
        Path f = file("userId itemId rate date", line);
        return assertThrows(DataFormatException.class, () -> XMarketReader.strict().read("de", f)).getMessage();
    }

    @Test
    void skippingCountsAndReportsBadLinesAndKeepsGoodOnes() throws IOException {
        Path f = file("userId itemId rate date", "u1 i1 5.0 2016-06-13", "garbage", "u2 i2 9 2016-06-12",
                "u3 i3 1.0 2017-01-01");
        List<Long> reported = new ArrayList<>();
        MarketData d = XMarketReader.skippingBadLines(e -> reported.add(e.lineNumber())).read("de", f);
        assertEquals(2, d.interactions().size());
        assertEquals(2, d.skippedLines());
        assertEquals(List.of(3L, 4L), reported);
    }

    @Test
    void missingFileSaysWhichMarket() {
        Exception e = assertThrows(RuntimeException.class,
                () -> XMarketReader.strict().read("jp", tmp.resolve("nope.txt")));
        assertTrue(e.getMessage().contains("market 'jp'"), e.getMessage());
    }

    @Test
    void realFilesParseCompletelyAndMatchShippedChecksums() {
        for (String m : Markets.XMARKET) {
            MarketData d = TestData.market(m);
            assertEquals(0, d.skippedLines());
            assertTrue(d.interactions().size() > 1000, m);
            assertEquals(Checksums.shipped().get(Markets.fileName(m)), d.sha256(), m);
        }
    }

    @Test
    void printableEscapesControlBytesAndCapsLongLines() {
        assertEquals("a\\x00b\\x1b[2Jc\\x7f", DataFormatException.printable("a\u0000b\u001b[2Jc\u007f"));
        assertEquals("\\ufffd\\u200b", DataFormatException.printable("\uFFFD\u200B"));
        String longLine = "x".repeat(10_000);
        String p = DataFormatException.printable(longLine);
        assertTrue(p.length() < 160 && p.endsWith("... (10000 characters)"), p);
    }

    @Test
    void aSkippingReaderGivesUpOnAFileWithMoreBadLinesThanAllowed() throws IOException {
        Path f = file("userId itemId rate date", "u1 i1 5.0 2016-06-13", "bad", "bad", "bad");
        assertEquals(3, XMarketReader.skippingBadLines(3, e -> { }).read("de", f).skippedLines());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> XMarketReader.skippingBadLines(2, x -> { }).read("de", f));
        assertTrue(e.getMessage().contains("more than 2 bad lines (the last at line 5)"), e.getMessage());
    }
}
