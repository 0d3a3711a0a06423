package dev.tideline.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

class PagesTest {

    private static final List<String> ALL = List.of("d", "a", "c", "b", "e");

    @Test
    void walkingThePagesReturnsEveryEntryOnceInKeyOrderAndTheLastPageHasNoToken() {
        List<String> seen = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            Pages<String> page = Pages.of(ALL, "max_results", "2", token, s -> s);
            seen.addAll(page.items());
            token = page.nextPageToken();
            pages++;
        } while (token != null);
        assertEquals(List.of("a", "b", "c", "d", "e"), seen);
        assertEquals(3, pages);
    }

    @Test
    void noSizeOrZeroMeansTheDefaultPage() {
        assertEquals(5, Pages.of(ALL, "max_results", null, null, s -> s).items().size());
        Pages<String> zero = Pages.of(ALL, "max_results", "0", "", s -> s);
        assertEquals(5, zero.items().size());
        assertNull(zero.nextPageToken());
    }

    @Test
    void anEntryDeletedBetweenPagesShiftsNothing() {
        Pages<String> first = Pages.of(ALL, "page_size", "2", null, s -> s);
        List<String> withoutB = List.of("a", "c", "d", "e");
        assertEquals(List.of("c", "d"), Pages.of(withoutB, "page_size", "2", first.nextPageToken(), s -> s).items());
    }

    @Test
    void aBadSizeOrTokenIs400NamingTheField() {
        ApiException size = assertThrows(ApiException.class, () -> Pages.of(ALL, "page_size", "-1", null, s -> s));
        assertEquals(ErrorCode.INVALID_PARAMETER_VALUE, size.code());
        assertTrue(size.getMessage().startsWith("page_size: '-1'"), size.getMessage());
        assertTrue(assertThrows(ApiException.class, () -> Pages.of(ALL, "max_results", "ten", null, s -> s)).getMessage().startsWith("max_results"));
        assertTrue(assertThrows(ApiException.class, () -> Pages.of(ALL, "max_results", "1001", null, s -> s)).getMessage().contains("1 to 1000"));
        ApiException token = assertThrows(ApiException.class, () -> Pages.of(ALL, "max_results", "2", "not-a-token!", s -> s));
        assertTrue(token.getMessage().startsWith("page_token:"), token.getMessage());
    }
}
