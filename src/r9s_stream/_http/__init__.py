"""_http"""
