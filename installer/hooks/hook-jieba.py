# Replaces pyinstaller-hooks-contrib's hook-jieba, which collects every data file in the
# package. We segment with jieba.cut / jieba.posseg only, so the keyword-extraction IDF
# table (analyse/, 6 MB) and the PaddlePaddle tagger (lac_small/, 13 MB, needs paddle) stay out.
from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("jieba", excludes=["analyse/**", "lac_small/**"])
