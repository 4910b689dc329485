#!/usr/bin/env python3
"""Writes MovieLens 100k as RecBole atomic files (ml-100k.inter, .user, .item) for the `files`
dataset plugin: python3 scripts/ml100k-to-atomic.py <folder with u.data> <output folder>.

The item file follows RecBole's: the title without its trailing " (yyyy)", release_year the
last 4 characters of the release date (empty when missing), class the genres flagged 1.
"""
import os
import sys


def main(source, out):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(source, "u.genre"), encoding="latin-1") as f:
        genres = [line.split("|")[0] for line in f if line.strip()]
    with open(os.path.join(source, "u.data")) as f, open(os.path.join(out, "ml-100k.inter"), "w") as o:
        o.write("user_id:token\titem_id:token\trating:float\ttimestamp:float\n")
        for line in f:
            o.write("\t".join(line.split()) + "\n")
    with open(os.path.join(source, "u.user")) as f, open(os.path.join(out, "ml-100k.user"), "w") as o:
        o.write("user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n")
        for line in f:
            o.write("\t".join(line.rstrip("\n").split("|")) + "\n")
    with open(os.path.join(source, "u.item"), encoding="latin-1") as f, \
            open(os.path.join(out, "ml-100k.item"), "w", encoding="utf-8") as o:
        o.write("item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n")
        for line in f:
            fields = line.rstrip("\n").split("|")
            title = fields[1]
            if len(title) >= 7 and title[-7:-5] == " (" and title.endswith(")"):
                title = title[:-7]
            date = fields[2]
            classes = " ".join(g for g, flag in zip(genres, fields[5:]) if flag == "1")
            o.write(f"{fields[0]}\t{title}\t{date[-4:] if len(date) >= 4 else ''}\t{classes}\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
