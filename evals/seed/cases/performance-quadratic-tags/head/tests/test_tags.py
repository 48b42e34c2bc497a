from shop.tags import unique_tags


def test_tags_keep_first_seen_order_without_repeats():
    products = [{"tags": ["b", "a"]}, {"tags": ["a", "c"]}]
    assert unique_tags(products) == ["b", "a", "c"]
