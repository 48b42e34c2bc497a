def unique_tags(products):
    """Every tag used by `products`, in first-seen order."""
    seen = []
    for product in products:
        for tag in product["tags"]:
            if tag not in seen:
                seen.append(tag)
    return seen
